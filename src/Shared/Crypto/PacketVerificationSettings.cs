namespace Rtmfp.Shared.Crypto;

/// <summary>
/// Per-direction packet verification negotiated during keying (RFC 7425 §4.6.4, §4.6.6):
/// an HMAC length of 0 means the simple checksum is used in that direction.
/// </summary>
public readonly record struct PacketVerificationSettings(
    int SendHmacLength,
    int ReceiveHmacLength,
    bool SendSequenceNumbers,
    bool ReceiveSequenceNumbers)
{
    public const int MinHmacLength = 4;
    public const int MaxHmacLength = 32;

    /// <summary>Checksum, no sequence numbers: the Default Session Key's mode (RFC 7425 §4.1).</summary>
    public static PacketVerificationSettings ChecksumOnly => default;

    internal void Validate()
    {
        if (!IsValidLength(SendHmacLength) || !IsValidLength(ReceiveHmacLength))
        {
            throw new ArgumentOutOfRangeException(nameof(SendHmacLength), "HMAC length must be 0 or 4..32 (RFC 7425 §4.5.2.4)");
        }
    }

    private static bool IsValidLength(int length) => length == 0 || length is >= MinHmacLength and <= MaxHmacLength;
}
