using Rtmfp.Cluster;
namespace Rtmfp.Gateway.Handshake;

/// <summary>What the gateway does with an IHello (RFC 7016 §3.5.1.1.2, §3.5.1.4–§3.5.1.6).</summary>
internal enum IHelloDisposition
{
    /// <summary>Malformed, or an EPD that names neither us nor a peer: send nothing.</summary>
    Ignored,

    /// <summary>The EPD selects us: the RHello was written into the caller's buffer.</summary>
    RHello,

    /// <summary>The EPD names another peer ID: ask the peer directory, then Redirect/FIHello (introduction, §3.5.1.6).</summary>
    RendezvousLookup,
}
