namespace Rtmfp.Shared.Crypto;

/// <summary>
/// What an endpoint offers and requires for per-packet HMAC and session sequence numbers
/// (RFC 7425 §4.5.2.4, §4.5.2.5, §4.6.4, §4.6.6).
/// </summary>
public sealed record KeyingPolicy
{
    /// <summary>Flash-compatible default: send HMAC / SSEQ only when asked, require neither. With Flash
    /// Player, Cumulus, MonaServer and librtmfp this ends in checksum mode without SSEQ.</summary>
    public static KeyingPolicy Default { get; } = new();

    /// <summary>Always send and require both (rtmfp-cpp's default; Flash-era peers then fail to key).</summary>
    public static KeyingPolicy Strict { get; } = new()
    {
        HmacSendAlways = true,
        HmacReceiveRequired = true,
        SequenceNumbersSendAlways = true,
        SequenceNumbersReceiveRequired = true,
    };

    public bool HmacSendAlways { get; init; }
    public bool HmacSendOnRequest { get; init; } = true;

    /// <summary>Sets REQ and rejects a far end that cannot send an HMAC.</summary>
    public bool HmacReceiveRequired { get; init; }

    /// <summary>The HMAC length we send, 4..32 (RFC 7425 §4.5.2.4); 16 like rtmfp-cpp (Flash uses 10).</summary>
    public int HmacLength { get; init; } = 16;

    public bool SequenceNumbersSendAlways { get; init; }
    public bool SequenceNumbersSendOnRequest { get; init; } = true;

    /// <summary>Sets REQ and rejects a far end that cannot send session sequence numbers.</summary>
    public bool SequenceNumbersReceiveRequired { get; init; }

    /// <summary>
    /// Our HMAC flags. A responder sets SOR only when the initiator set REQ: the meaning is the same
    /// (§4.6.4) and Flash-era initiators (librtmfp) demand the exact SKRC prefix 03 1A 00 00 02 1E 00.
    /// </summary>
    internal NegotiationFlags GetHmacFlags(NegotiationFlags? initiatorFlags) =>
        Flags(HmacSendAlways, HmacSendOnRequest, HmacReceiveRequired, initiatorFlags);

    internal NegotiationFlags GetSequenceNumberFlags(NegotiationFlags? initiatorFlags) =>
        Flags(SequenceNumbersSendAlways, SequenceNumbersSendOnRequest, SequenceNumbersReceiveRequired, initiatorFlags);

    /// <summary>hmacLength is 0 iff SND and SOR are both clear (RFC 7425 §4.5.2.4).</summary>
    internal int GetAdvertisedHmacLength(NegotiationFlags flags) =>
        (flags & (NegotiationFlags.WillSendAlways | NegotiationFlags.WillSendOnRequest)) != 0 ? HmacLength : 0;

    internal void Validate()
    {
        if (HmacLength is < PacketVerificationSettings.MinHmacLength or > PacketVerificationSettings.MaxHmacLength)
        {
            throw new ArgumentOutOfRangeException(nameof(HmacLength), "HMAC length must be 4..32 (RFC 7425 §4.5.2.4)");
        }
    }

    private static NegotiationFlags Flags(bool always, bool onRequest, bool required, NegotiationFlags? initiatorFlags)
    {
        var flags = NegotiationFlags.None;
        if (always)
        {
            flags |= NegotiationFlags.WillSendAlways;
        }
        if (onRequest && (initiatorFlags is not NegotiationFlags far || (far & NegotiationFlags.Request) != 0))
        {
            flags |= NegotiationFlags.WillSendOnRequest;
        }
        if (required)
        {
            flags |= NegotiationFlags.Request;
        }
        return flags;
    }
}
