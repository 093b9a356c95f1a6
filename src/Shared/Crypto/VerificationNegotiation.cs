namespace Rtmfp.Shared.Crypto;

/// <summary>The send/receive semantics of the negotiation flags (RFC 7425 §4.6.4, §4.6.6).</summary>
internal static class VerificationNegotiation
{
    /// <summary>An end sends iff it set SND, or set SOR and the other end set REQ.</summary>
    public static bool Sends(NegotiationFlags sender, NegotiationFlags receiver) =>
        (sender & NegotiationFlags.WillSendAlways) != 0 ||
        ((sender & NegotiationFlags.WillSendOnRequest) != 0 && (receiver & NegotiationFlags.Request) != 0);

    /// <summary>
    /// Resolves one feature in both directions. Fails (the keying component is rejected) when the
    /// near end requires the far end to send and the far end offers neither SND nor SOR.
    /// </summary>
    public static bool TryResolve(NegotiationFlags near, NegotiationFlags far, bool nearRequiresReceive, out bool nearSends, out bool farSends)
    {
        nearSends = Sends(near, far);
        farSends = Sends(far, near);
        return !nearRequiresReceive || farSends;
    }
}
