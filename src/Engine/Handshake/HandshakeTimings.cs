namespace Rtmfp.Engine.Handshake;

/// <summary>Opening-session constants (RFC 7016 §3.5.1.1.1; values as in the RFC author's rtmfp-cpp).</summary>
internal static class HandshakeTimings
{
    /// <summary>RECOMMENDED ultimate open timeout: S_OPEN_FAILED after 95 s.</summary>
    public const long UltimateOpenTimeoutMs = 95_000;

    /// <summary>First retransmission of IHello / IIKeying.</summary>
    public const long InitialRetransmitMs = 1_000;

    /// <summary>Added to the interval after each attempt ("not less than 1.5 seconds").</summary>
    public const long BackoffIncrementMs = 1_500;

    /// <summary>REDIRECT_THRESHOLD: candidate set cap for Redirect destinations (SHOULD NOT exceed 24).</summary>
    public const int RedirectThreshold = 24;

    /// <summary>Tag length: RECOMMENDED ≥ 8 random bytes; Flash, librtmfp and rtmfp-cpp use 16.</summary>
    public const int TagLength = 16;
}
