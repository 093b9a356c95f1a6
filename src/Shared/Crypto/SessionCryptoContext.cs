using System.Buffers.Binary;
using System.Security.Cryptography;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Crypto;

/// <summary>
/// Packet encryption and verification for one session key in both directions (RFC 7425 §4.7):
/// AES-128-CBC with a zero IV, 0xFF padding, then either the simple checksum (inside the
/// plaintext) or a truncated HMAC-SHA256 over the cipher blocks (encrypt-then-MAC), with optional
/// session sequence numbers and an anti-replay window.
/// <para>
/// Not thread-safe: one instance per session (or, for the Default Session Key, per worker), used by
/// one thread at a time. Sending and receiving state are independent, but the AES instances are not
/// safe for concurrent use, so callers serialise all calls on one instance. Allocation-free per
/// packet (OpenSSL EVP contexts are kept, HMAC is one-shot into the stack).
/// </para>
/// The 4-byte scrambled session ID in front of the encrypted packet belongs to the caller.
/// </summary>
public sealed class SessionCryptoContext : IDisposable
{
    public const int BlockSize = 16;

    /// <summary>Largest number of bytes <see cref="Encrypt"/> adds to a plain packet.</summary>
    public const int MaxOverhead = Vlu.MaxLength + 2 + (BlockSize - 1) + PacketVerificationSettings.MaxHmacLength;

    private readonly AesCbcCipher _encrypt;
    private readonly AesCbcCipher _decrypt;
    // Keyed once: a one-shot HMACSHA256.HashData re-keys a native context per packet (twice the cost).
    private readonly IncrementalHash? _hmacSend;
    private readonly IncrementalHash? _hmacReceive;
    private ulong _nextSendSequence;
    private AntiReplayWindow _receiveWindow;

    private SessionCryptoContext(ReadOnlySpan<byte> encryptKey, ReadOnlySpan<byte> decryptKey, byte[]? hmacSendKey, byte[]? hmacReceiveKey, PacketVerificationSettings settings)
    {
        settings.Validate();
        Settings = settings;
        _encrypt = new AesCbcCipher(encryptKey[..16], encrypt: true);
        try
        {
            _decrypt = new AesCbcCipher(decryptKey[..16], encrypt: false);
        }
        catch
        {
            _encrypt.Dispose();
            throw;
        }
        _hmacSend = settings.SendHmacLength > 0 && hmacSendKey is not null ? IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, hmacSendKey) : null;
        _hmacReceive = settings.ReceiveHmacLength > 0 && hmacReceiveKey is not null ? IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, hmacReceiveKey) : null;
    }

    /// <summary>Session keys with the negotiated verification (RFC 7425 §4.6).</summary>
    public SessionCryptoContext(SessionKeys keys, PacketVerificationSettings settings)
        : this(keys.EncryptKey, keys.DecryptKey, keys.HmacSendKey, keys.HmacReceiveKey, settings)
    {
    }

    /// <summary>A context for the Default Session Key: checksum mode, no sequence numbers (RFC 7425 §4.1).</summary>
    public static SessionCryptoContext CreateDefault() =>
        new(DefaultSessionKey.Key, DefaultSessionKey.Key, null, null, PacketVerificationSettings.ChecksumOnly);

    public PacketVerificationSettings Settings { get; }

    /// <summary>The session sequence number the next sent packet carries (if sequence numbers are sent).</summary>
    public ulong NextSendSequenceNumber => _nextSendSequence;

    /// <summary>Bytes <see cref="Encrypt"/> writes for a plain packet of <paramref name="plainLength"/> bytes with the next sequence number.</summary>
    public int GetEncryptedLength(int plainLength)
    {
        int body = GetPrefixLength() + plainLength;
        return ((body + BlockSize - 1) & ~(BlockSize - 1)) + Settings.SendHmacLength;
    }

    /// <summary>As <see cref="GetEncryptedLength(int)"/> for a caller-assigned sequence number.</summary>
    public int GetEncryptedLength(int plainLength, ulong sequenceNumber)
    {
        int body = GetPrefixLength(sequenceNumber) + plainLength;
        return ((body + BlockSize - 1) & ~(BlockSize - 1)) + Settings.SendHmacLength;
    }

    private int GetPrefixLength() => GetPrefixLength(_nextSendSequence);

    private int GetPrefixLength(ulong sequenceNumber) =>
        (Settings.SendSequenceNumbers ? Vlu.GetLength(sequenceNumber) : 0) + (Settings.SendHmacLength == 0 ? 2 : 0);

    /// <summary>
    /// Encrypts a plain RTMFP packet (flags onward) into <paramref name="destination"/>: SSEQ and
    /// checksum prefix, 0xFF padding, AES-CBC, truncated HMAC (RFC 7425 §4.7.2). Returns the length
    /// of the encrypted packet. <paramref name="plainPacket"/> may overlap <paramref name="destination"/>.
    /// Throws if the destination is too small (size it with <see cref="GetEncryptedLength"/>).
    /// </summary>
    public int Encrypt(ReadOnlySpan<byte> plainPacket, Span<byte> destination)
    {
        int total = Encrypt(plainPacket, destination, _nextSendSequence);
        if (Settings.SendSequenceNumbers)
        {
            _nextSendSequence++;
        }
        return total;
    }

    /// <summary>
    /// As <see cref="Encrypt(ReadOnlySpan{byte}, Span{byte})"/> with a caller-assigned session sequence
    /// number: the session owns the counter, so any gateway can encrypt its packets (RFC 7425 §4.6.6:
    /// numbers must never repeat under one key, whichever gateway sends).
    /// </summary>
    public int Encrypt(ReadOnlySpan<byte> plainPacket, Span<byte> destination, ulong sequenceNumber)
    {
        if (plainPacket.IsEmpty)
        {
            throw new ArgumentException("a plain packet has at least a flags byte", nameof(plainPacket));
        }
        int sseqLength = Settings.SendSequenceNumbers ? Vlu.GetLength(sequenceNumber) : 0;
        bool checksum = Settings.SendHmacLength == 0;
        int prefix = sseqLength + (checksum ? 2 : 0);
        int padded = (prefix + plainPacket.Length + BlockSize - 1) & ~(BlockSize - 1);
        int total = padded + Settings.SendHmacLength;
        if (destination.Length < total)
        {
            throw new ArgumentException($"destination needs {total} bytes", nameof(destination));
        }

        // Copy first: the plain packet may sit inside destination (CopyTo is overlap-safe).
        plainPacket.CopyTo(destination[prefix..]);
        destination[(prefix + plainPacket.Length)..padded].Fill(0xFF);
        if (sseqLength > 0)
        {
            Vlu.Write(destination, sequenceNumber);
        }
        if (checksum)
        {
            // RFC 7425 §4.7.3.1: covers everything after the checksum field, padding included.
            ushort sum = InternetChecksum.Compute(destination[(sseqLength + 2)..padded]);
            BinaryPrimitives.WriteUInt16BigEndian(destination[sseqLength..], sum);
        }

        Span<byte> blocks = destination[..padded];
        _encrypt.Transform(blocks, blocks);

        if (!checksum)
        {
            // RFC 7425 §4.7.3.2: encrypt-then-MAC over all cipher blocks.
            Span<byte> mac = stackalloc byte[32];
            Mac(_hmacSend, blocks, mac);
            mac[..Settings.SendHmacLength].CopyTo(destination[padded..]);
        }
        return total;
    }

    /// <summary>
    /// Verifies and decrypts an encrypted packet (the datagram after the scrambled session ID).
    /// On success the plain RTMFP packet (flags onward, including the 0xFF padding) is at
    /// <c>destination[plainOffset..(plainOffset + plainLength)]</c>. Returns false — and changes no
    /// state — for anything that must be discarded "as though never received" (RFC 7425 §4.7.3):
    /// wrong length, bad HMAC, bad checksum, duplicate or too-old sequence number, small destination.
    /// <paramref name="destination"/> may be the same memory as <paramref name="encryptedPacket"/>
    /// (exactly, not shifted: that caller bug throws).
    /// </summary>
    public bool TryDecrypt(ReadOnlySpan<byte> encryptedPacket, Span<byte> destination, out int plainOffset, out int plainLength)
    {
        if (!TryDecrypt(encryptedPacket, destination, out plainOffset, out plainLength, out ulong sequence, checkWindow: true))
        {
            return false;
        }
        if (Settings.ReceiveSequenceNumbers)
        {
            _receiveWindow.Accept(sequence);
        }
        return true;
    }

    /// <summary>
    /// Verifies and decrypts without consulting this context's anti-replay window, returning the
    /// packet's session sequence number (0 when sequence numbers are not received) so that the
    /// session, which outlives any one gateway's cached context, applies its own
    /// <see cref="AntiReplayWindow"/>.
    /// </summary>
    public bool TryDecryptUnwindowed(ReadOnlySpan<byte> encryptedPacket, Span<byte> destination, out int plainOffset, out int plainLength, out ulong sequenceNumber) =>
        TryDecrypt(encryptedPacket, destination, out plainOffset, out plainLength, out sequenceNumber, checkWindow: false);

    private bool TryDecrypt(ReadOnlySpan<byte> encryptedPacket, Span<byte> destination, out int plainOffset, out int plainLength, out ulong sequence, bool checkWindow)
    {
        plainOffset = 0;
        plainLength = 0;
        sequence = 0;
        int hmacLength = Settings.ReceiveHmacLength;
        int cipherLength = encryptedPacket.Length - hmacLength;
        // RFC 7425 §4.7.2: whole blocks, then exactly hmacLength bytes.
        if (cipherLength <= 0 || (cipherLength & (BlockSize - 1)) != 0 || destination.Length < cipherLength)
        {
            return false;
        }
        ReadOnlySpan<byte> blocks = encryptedPacket[..cipherLength];
        if (hmacLength > 0)
        {
            Span<byte> mac = stackalloc byte[32];
            Mac(_hmacReceive, blocks, mac);
            if (!CryptographicOperations.FixedTimeEquals(mac[..hmacLength], encryptedPacket[cipherLength..]))
            {
                return false;
            }
        }

        if (blocks.Overlaps(destination, out int shift) && shift != 0)
        {
            throw new ArgumentException("destination may only overlap the packet exactly (in place)", nameof(destination));
        }
        Span<byte> plain = destination[..cipherLength];
        _decrypt.Transform(blocks, plain);

        int position = 0;

        if (Settings.ReceiveSequenceNumbers)
        {
            if (!Vlu.TryRead(plain, out sequence, out int sseqLength) || (checkWindow && !_receiveWindow.IsAcceptable(sequence)))
            {
                return false;
            }
            position = sseqLength;
        }
        if (hmacLength == 0)
        {
            if (cipherLength - position < 2)
            {
                return false;
            }
            ushort expected = BinaryPrimitives.ReadUInt16BigEndian(plain[position..]);
            position += 2;
            if (InternetChecksum.Compute(plain[position..]) != expected)
            {
                return false;
            }
        }
        if (position >= cipherLength)
        {
            return false;
        }
        plainOffset = position;
        plainLength = cipherLength - position;
        return true;
    }

    /// <summary>True once disposed: a cache that evicts a context checks this under its lock.</summary>
    public bool IsDisposed { get; private set; }

    private static void Mac(IncrementalHash? hmac, ReadOnlySpan<byte> data, Span<byte> mac)
    {
        if (hmac is null)
        {
            throw new InvalidOperationException("HMAC negotiated without an HMAC key");
        }
        hmac.AppendData(data);
        hmac.TryGetHashAndReset(mac, out _);
    }

    public void Dispose()
    {
        IsDisposed = true;
        _encrypt.Dispose();
        _decrypt.Dispose();
        _hmacSend?.Dispose();
        _hmacReceive?.Dispose();
    }
}
