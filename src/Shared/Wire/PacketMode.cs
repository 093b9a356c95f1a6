namespace Rtmfp.Shared.Wire;

/// <summary>The MOD field of a plain packet's flags (RFC 7016 §2.2.4).</summary>
public enum PacketMode : byte
{
    /// <summary>Packets with mode 0 MUST be discarded.</summary>
    Forbidden = 0,
    /// <summary>Sent by the original initiator of a session.</summary>
    InitiatorMark = 1,
    /// <summary>Sent by the original responder of a session.</summary>
    ResponderMark = 2,
    Startup = 3,
}
