namespace Rtmfp.Shared.Wire;

/// <summary>The origin tag of an <see cref="Address"/> (RFC 7016 §2.1.5).</summary>
public enum AddressOrigin : byte
{
    /// <summary>Unknown, unspecified or "other".</summary>
    Unknown = 0,
    /// <summary>Reported by the origin as a local, directly attached interface address.</summary>
    Local = 1,
    /// <summary>Observed as the source address of a received packet (reflexive transport address).</summary>
    Observed = 2,
    /// <summary>A relay, proxy or introducer (Redirector and/or Forwarder).</summary>
    Relay = 3,
}
