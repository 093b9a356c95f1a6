namespace Rtmfp.Shared.Crypto;

/// <summary>How a cookie echoed in an IIKeying compares with what we issued (RFC 7016 §3.5.1.1.2, §3.5.1.2).</summary>
public enum CookieCheck
{
    /// <summary>Not ours, tampered with, or expired: ignore the IIKeying.</summary>
    Bad,

    /// <summary>Ours and fresh, but made for another address: answer with RHello Cookie Change (RFC 7016 §3.5.1.2).</summary>
    Mismatch,

    /// <summary>Ours, fresh (this slot or the previous one), and bound to the IIKeying's source address.</summary>
    Valid,
}
