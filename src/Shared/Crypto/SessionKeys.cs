using System.Security.Cryptography;

namespace Rtmfp.Shared.Crypto;

/// <summary>
/// The keys and nonces of one session as seen from the near end (RFC 7425 §4.6.3–§4.6.5).
/// SKNC = the keying component we sent, SKFC = the one we received; both are the raw option bytes
/// without their VLU length prefix.
/// </summary>
public sealed class SessionKeys
{
    private SessionKeys(byte[] encryptKey, byte[] decryptKey, byte[] hmacSendKey, byte[] hmacReceiveKey, byte[] nearNonce, byte[] farNonce)
    {
        EncryptKey = encryptKey;
        DecryptKey = decryptKey;
        HmacSendKey = hmacSendKey;
        HmacReceiveKey = hmacReceiveKey;
        NearNonce = nearNonce;
        FarNonce = farNonce;
    }

    /// <summary>ENCRYPT_KEY (32 bytes); the AES-128 send key is its first 16 bytes.</summary>
    public byte[] EncryptKey { get; }

    /// <summary>DECRYPT_KEY (32 bytes); the AES-128 receive key is its first 16 bytes.</summary>
    public byte[] DecryptKey { get; }

    public byte[] HmacSendKey { get; }
    public byte[] HmacReceiveKey { get; }

    /// <summary>NEAR_NONCE = HMAC-SHA256(DH_SECRET, SKNC); Flash exposes it as NetConnection.nearNonce.</summary>
    public byte[] NearNonce { get; }

    /// <summary>FAR_NONCE = HMAC-SHA256(DH_SECRET, SKFC).</summary>
    public byte[] FarNonce { get; }

    /// <summary>Rebuilds keys that were derived elsewhere (a session's keys shipped to a gateway's cache).</summary>
    public static SessionKeys FromParts(byte[] encryptKey, byte[] decryptKey, byte[] hmacSendKey, byte[] hmacReceiveKey, byte[] nearNonce, byte[] farNonce)
    {
        if (encryptKey.Length < 16 || decryptKey.Length < 16)
        {
            throw new ArgumentException("AES-128 keys need at least 16 bytes");
        }
        return new SessionKeys(encryptKey, decryptKey, hmacSendKey, hmacReceiveKey, nearNonce, farNonce);
    }

    /// <summary>Derives every key and nonce from DH_SECRET (unsigned big-endian, no leading zeros, RFC 7425 §4.6.2).</summary>
    public static SessionKeys Derive(ReadOnlySpan<byte> dhSecret, ReadOnlySpan<byte> sknc, ReadOnlySpan<byte> skfc)
    {
        Span<byte> inner = stackalloc byte[32];
        // Six of the eight HMACs are keyed by DH_SECRET: one keyed context serves them, reset after each. A one-shot
        // HMAC sets its key up (and OpenSSL 3 looks the algorithm up) every time: 15.5 against 9.8 us for the whole
        // derivation (docs/benchmarks.md, "The floor of a sharded, persistent entity").
        using var secretKeyed = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, dhSecret);
        // RFC 7425 §4.6.3
        HMACSHA256.HashData(skfc, sknc, inner);
        byte[] encryptKey = Hash(secretKeyed, inner);
        HMACSHA256.HashData(sknc, skfc, inner);
        byte[] decryptKey = Hash(secretKeyed, inner);
        CryptographicOperations.ZeroMemory(inner);
        // RFC 7425 §4.6.4: the full 256-bit keys are the HMAC messages.
        byte[] hmacSend = Hash(secretKeyed, encryptKey);
        byte[] hmacReceive = Hash(secretKeyed, decryptKey);
        // RFC 7425 §4.6.5
        byte[] nearNonce = Hash(secretKeyed, sknc);
        byte[] farNonce = Hash(secretKeyed, skfc);
        return new SessionKeys(encryptKey, decryptKey, hmacSend, hmacReceive, nearNonce, farNonce);
    }

    private static byte[] Hash(IncrementalHash keyed, ReadOnlySpan<byte> message)
    {
        keyed.AppendData(message);
        return keyed.GetHashAndReset();
    }
}
