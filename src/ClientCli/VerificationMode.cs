using Rtmfp.Shared.Crypto;

namespace Rtmfp.ClientCli;

/// <summary>How we treat per-packet HMAC or session sequence numbers (RFC 7425 §4.6.4, §4.6.6).</summary>
public enum VerificationMode
{
    /// <summary>Never send, never require.</summary>
    Off,
    /// <summary>Send if the far end asks (Flash-compatible default).</summary>
    Request,
    /// <summary>Always send; do not require.</summary>
    Always,
    /// <summary>Always send and require the far end to send.</summary>
    Required,
}

internal static class VerificationModes
{
    public static KeyingPolicy ToPolicy(VerificationMode hmac, VerificationMode sseq, int hmacLength) => new()
    {
        HmacSendAlways = hmac >= VerificationMode.Always,
        HmacSendOnRequest = hmac != VerificationMode.Off,
        HmacReceiveRequired = hmac == VerificationMode.Required,
        HmacLength = hmacLength,
        SequenceNumbersSendAlways = sseq >= VerificationMode.Always,
        SequenceNumbersSendOnRequest = sseq != VerificationMode.Off,
        SequenceNumbersReceiveRequired = sseq == VerificationMode.Required,
    };
}
