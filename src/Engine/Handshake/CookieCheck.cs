namespace Rtmfp.Engine.Handshake;

/// <summary>How a cookie echoed in an IIKeying compares with what we issued (RFC 7016 §3.5.1.1.2, §3.5.1.2).</summary>
public enum CookieCheck
{
    /// <summary>Not ours, tampered with, or expired: ignore the IIKeying.</summary>
    Bad,

    /// <summary>Ours and fresh, but issued for another address: answer with RHello Cookie Change.</summary>
    Mismatch,

    /// <summary>Ours, fresh, and bound to the IIKeying's source address.</summary>
    Valid,
}
