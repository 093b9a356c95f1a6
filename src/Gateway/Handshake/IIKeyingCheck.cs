using Rtmfp.Cluster;
namespace Rtmfp.Gateway.Handshake;

/// <summary>The gateway's cheap checks of an IIKeying before any public-key work (RFC 7016 §3.5.1.1.2).</summary>
internal enum IIKeyingCheck
{
    /// <summary>Not a parsable IIKeying, session ID 0, or an unparsable certificate or SKIC.</summary>
    Malformed,

    /// <summary>Not our cookie, tampered with, or expired: ignore (no worker job).</summary>
    BadCookie,

    /// <summary>Our cookie, but made for another address: an RHello Cookie Change was written (RFC 7016 §3.5.1.2).</summary>
    CookieChange,

    /// <summary>Cookie valid for this address: a <see cref="HandshakeJob"/> was produced.</summary>
    Accepted,
}
