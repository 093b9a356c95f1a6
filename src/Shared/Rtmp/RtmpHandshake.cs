using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Rtmfp.Shared.Rtmp;

/// <summary>What a client's C0+C1 asked for.</summary>
public enum RtmpHandshakeKind : byte
{
    /// <summary>The plain handshake of the RTMP specification (§5.2): S2 echoes C1.</summary>
    Plain,

    /// <summary>
    /// The digest handshake Flash Player and most encoders (ffmpeg, OBS) send: C1 carries an HMAC-SHA256 digest
    /// keyed with the player key, and the client checks that S1 and S2 carry digests keyed with the server key.
    /// </summary>
    Digest,
}

/// <summary>Why a C0+C1 was refused.</summary>
public enum RtmpHandshakeError : byte
{
    None,

    /// <summary>C0 is not 3: version 6 and 8 (RTMPE, encrypted) and anything else are not served.</summary>
    UnsupportedVersion,

    /// <summary>Fewer than 1 + 1536 bytes.</summary>
    Truncated,
}

/// <summary>
/// The RTMP handshake, server side (RTMP specification §5.2): C0 (version 3) and C1 (1536 bytes: time, zero, random)
/// are answered with S0, S1 and S2 in one write; C2 is read and ignored. A C1 with a non-zero version field that
/// carries a valid digest (at either of the two places clients put it) is answered in kind: S1 with our version and
/// a digest, S2 signed with a key derived from the client's digest. Pure functions over spans; no state.
/// </summary>
public static class RtmpHandshake
{
    public const byte Version = 3;
    public const int PacketSize = 1536;

    /// <summary>C0 + C1, what the server waits for before it answers.</summary>
    public const int ClientHelloSize = 1 + PacketSize;

    /// <summary>S0 + S1 + S2, the server's one answer.</summary>
    public const int ServerHelloSize = 1 + (2 * PacketSize);

    private const int DigestLength = 32;

    /// <summary>The version we put in a digest S1 (any value ≥ 3.0 in its first byte tells clients to check our digests).</summary>
    private static ReadOnlySpan<byte> ServerVersion => [0x0D, 0x0E, 0x0A, 0x0D];

    // The shared secret of the digest handshake: a text prefix and 32 fixed bytes. The client keys its C1 digest with
    // the player text (30 bytes), we key S1 with the server text (36 bytes) and derive S2's key from the whole server key.
    private static ReadOnlySpan<byte> KeyTail =>
    [
        0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57,
        0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE,
    ];

    private static ReadOnlySpan<byte> PlayerText => "Genuine Adobe Flash Player 001"u8;

    private static ReadOnlySpan<byte> ServerText => "Genuine Adobe Flash Media Server 001"u8;

    /// <summary>
    /// Reads C0 and C1. <paramref name="digestOffset"/> is where the client's digest sits in C1 for
    /// <see cref="RtmpHandshakeKind.Digest"/> (−1 for plain).
    /// </summary>
    public static RtmpHandshakeError TryReadClientHello(ReadOnlySpan<byte> c0c1, out RtmpHandshakeKind kind, out int digestOffset)
    {
        kind = RtmpHandshakeKind.Plain;
        digestOffset = -1;
        if (c0c1.Length < ClientHelloSize)
        {
            return RtmpHandshakeError.Truncated;
        }
        if (c0c1[0] != Version)
        {
            return RtmpHandshakeError.UnsupportedVersion;
        }
        var c1 = c0c1.Slice(1, PacketSize);
        if (BinaryPrimitives.ReadUInt32BigEndian(c1[4..]) == 0)
        {
            return RtmpHandshakeError.None; // a zero version field: the plain handshake
        }
        Span<byte> key = stackalloc byte[PlayerText.Length];
        PlayerText.CopyTo(key);
        // Flash Player 10+ puts the digest after the key block (base 772), older players and ffmpeg before it (base 8).
        foreach (int baseOffset in (ReadOnlySpan<int>)[772, 8])
        {
            int offset = DigestOffset(c1, baseOffset);
            if (HasDigest(c1, offset, key))
            {
                kind = RtmpHandshakeKind.Digest;
                digestOffset = offset;
                return RtmpHandshakeError.None;
            }
        }
        // A version without a valid digest: answer plainly, as most servers do.
        return RtmpHandshakeError.None;
    }

    /// <summary>
    /// Writes S0, S1 and S2 (<see cref="ServerHelloSize"/> bytes) answering <paramref name="c0c1"/>, already read by
    /// <see cref="TryReadClientHello"/>. <paramref name="epochMilliseconds"/> is S1's time field.
    /// </summary>
    public static void WriteServerHello(ReadOnlySpan<byte> c0c1, RtmpHandshakeKind kind, int clientDigestOffset, uint epochMilliseconds, Span<byte> destination)
    {
        if (destination.Length < ServerHelloSize)
        {
            throw new ArgumentException("destination too small for S0+S1+S2", nameof(destination));
        }
        var c1 = c0c1.Slice(1, PacketSize);
        destination[0] = Version;
        var s1 = destination.Slice(1, PacketSize);
        var s2 = destination.Slice(1 + PacketSize, PacketSize);
        RandomNumberGenerator.Fill(s1[8..]);
        BinaryPrimitives.WriteUInt32BigEndian(s1, epochMilliseconds);
        if (kind == RtmpHandshakeKind.Plain)
        {
            s1.Slice(4, 4).Clear();
            // §5.2.4: S2 echoes C1's time and random bytes; its second field is when we read C1.
            c1.CopyTo(s2);
            BinaryPrimitives.WriteUInt32BigEndian(s2[4..], epochMilliseconds);
            return;
        }
        ServerVersion.CopyTo(s1[4..]);
        // S1's digest goes where the client put its own (same base), keyed with the server text.
        int baseOffset = clientDigestOffset >= 776 ? 772 : 8;
        int offset = DigestOffset(s1, baseOffset);
        Span<byte> serverText = stackalloc byte[ServerText.Length];
        ServerText.CopyTo(serverText);
        ComputeDigest(s1, offset, serverText, s1.Slice(offset, DigestLength));
        // S2: random bytes signed with HMAC(full server key, client digest) over all but its last 32 bytes.
        var s2Key = SignatureKey(c1.Slice(clientDigestOffset, DigestLength));
        RandomNumberGenerator.Fill(s2[..(PacketSize - DigestLength)]);
        HMACSHA256.HashData(s2Key, s2[..(PacketSize - DigestLength)], s2[(PacketSize - DigestLength)..]);
    }

    /// <summary>
    /// Where the digest of a 1536-byte packet sits for a scheme base (8 or 772): the sum of the four bytes at the base,
    /// modulo 728, plus the base + 4.
    /// </summary>
    public static int DigestOffset(ReadOnlySpan<byte> packet, int baseOffset) =>
        ((packet[baseOffset] + packet[baseOffset + 1] + packet[baseOffset + 2] + packet[baseOffset + 3]) % 728) + baseOffset + 4;

    /// <summary>Whether <paramref name="packet"/> carries at <paramref name="offset"/> the digest keyed with <paramref name="key"/>.</summary>
    public static bool HasDigest(ReadOnlySpan<byte> packet, int offset, ReadOnlySpan<byte> key)
    {
        Span<byte> digest = stackalloc byte[DigestLength];
        ComputeDigest(packet, offset, key, digest);
        return CryptographicOperations.FixedTimeEquals(digest, packet.Slice(offset, DigestLength));
    }

    /// <summary>HMAC-SHA256 with <paramref name="key"/> over the packet without the 32 digest bytes at <paramref name="offset"/>.</summary>
    public static void ComputeDigest(ReadOnlySpan<byte> packet, int offset, ReadOnlySpan<byte> key, Span<byte> digest)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(packet[..offset]);
        hmac.AppendData(packet[(offset + DigestLength)..]);
        hmac.GetHashAndReset(digest);
    }

    /// <summary>The key a client keys its C1 digest with (tests build digest C1s with it).</summary>
    public static byte[] PlayerKey() => PlayerText.ToArray();

    /// <summary>The key S1's digest is keyed with (clients check it).</summary>
    public static byte[] ServerKey() => ServerText.ToArray();

    /// <summary>The key S2's signature is keyed with, from the client's C1 digest (clients check it).</summary>
    public static byte[] SignatureKey(ReadOnlySpan<byte> clientDigest)
    {
        var fullKey = new byte[ServerText.Length + KeyTail.Length];
        ServerText.CopyTo(fullKey);
        KeyTail.CopyTo(fullKey.AsSpan(ServerText.Length));
        return HMACSHA256.HashData(fullKey, clientDigest);
    }
}
