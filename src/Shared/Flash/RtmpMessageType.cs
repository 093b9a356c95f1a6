namespace Rtmfp.Shared.Flash;

/// <summary>RTMP message types as carried on RTMFP "TC" flows (RTMP §5.4, §6.2, §7.1; RFC 7425 §5.1.2).</summary>
public enum RtmpMessageType : byte
{
    // RTMP Chunk Stream control (RFC 7425 §5.1: SHOULD NOT be sent, MUST be ignored over RTMFP).
    SetChunkSize = 1,
    Abort = 2,
    Acknowledgement = 3,
    UserControl = 4,
    WindowAcknowledgementSize = 5,
    SetPeerBandwidth = 6,
    Audio = 8,
    Video = 9,
    /// <summary>Data, AMF3 envelope: format byte 0x00 then AMF0 values (RFC 7425 §5.3.3).</summary>
    DataAmf3 = 15,
    SharedObjectAmf3 = 16,
    /// <summary>Command, AMF3 envelope: format byte 0x00 then AMF0 values (RFC 7425 §5.3.3).</summary>
    CommandAmf3 = 17,
    DataAmf0 = 18,
    SharedObjectAmf0 = 19,
    CommandAmf0 = 20,
    /// <summary>SHOULD NOT be used with RTMFP.</summary>
    Aggregate = 22,
}
