using Rtmfp.Cluster;
namespace Rtmfp.Gateway.Handshake;

/// <summary>The gateway's cheap checks of an IIKeying before any public-key work (RFC 7016 §3.5.1.1.2).</summary>
public enum IIKeyingCheck
{
    /// <summary>Not a parsable IIKeying, session ID 0, or an unparsable certificate or SKIC.</summary>
    Malformed,

    /// <summary>Not our cookie, tampered with, expired, or made for another address: ignore (no worker job).</summary>
    BadCookie,

    /// <summary>Cookie valid for this address: a <see cref="HandshakeJob"/> was produced.</summary>
    Accepted,
}
