namespace Rtmfp.Engine.Handshake;

/// <summary>What a responder did with an IIKeying (RFC 7016 §3.5.1.1.2).</summary>
public enum IIKeyingDisposition
{
    /// <summary>Malformed, bad or expired cookie, unacceptable certificate or SKIC, or not overriding an S_OPEN session.</summary>
    Ignored,

    /// <summary>Authentic cookie for another address: send the RHello Cookie Change (RFC 7016 §3.5.1.2).</summary>
    CookieChange,

    /// <summary>Glare and the near end prevails: ignore; the far end aborts on our IIKeying (RFC 7016 §3.5.1.3).</summary>
    GlareNearPrevails,

    /// <summary>Retransmission for an S_OPEN session we answered: resend its RIKeying.</summary>
    RetransmitRIKeying,

    /// <summary>A new S_OPEN session: send the RIKeying.</summary>
    Opened,
}
