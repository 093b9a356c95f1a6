using System.Buffers.Binary;
using System.Security.Cryptography;
using Rtmfp.Shared.Rtmp;

namespace Rtmfp.Shared.Tests.Rtmp;

public sealed class RtmpHandshakeTests
{
    // The digest handshake's keys, spelled out here independently of the code: text prefix + 32 fixed bytes.
    private static readonly byte[] Tail = Convert.FromHexString("F0EEC24A8068BEE82E00D0D1029E7E576EEC5D2D29806FAB93B8E636CFEB31AE");
    private static readonly byte[] PlayerKey = "Genuine Adobe Flash Player 001"u8.ToArray();
    private static readonly byte[] ServerKey = "Genuine Adobe Flash Media Server 001"u8.ToArray();

    private static byte[] FfmpegC0C1() => Convert.FromHexString(File.ReadAllText(TestPaths.Vector("rtmp/ffmpeg-5.1-c0c1.hex")).Trim());

    private static byte[] Hmac(byte[] key, params byte[][] parts)
    {
        using var h = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        foreach (var p in parts)
        {
            h.AppendData(p);
        }
        return h.GetHashAndReset();
    }

    private static byte[] WithoutDigest(ReadOnlySpan<byte> packet, int offset) => [.. packet[..offset], .. packet[(offset + 32)..]];

    [Fact]
    public void Ffmpegs_captured_C1_is_read_as_the_digest_variant_with_the_digest_before_the_key_block()
    {
        var c0c1 = FfmpegC0C1();
        Assert.Equal(RtmpHandshakeError.None, RtmpHandshake.TryReadClientHello(c0c1, out var kind, out int offset));
        Assert.Equal(RtmpHandshakeKind.Digest, kind);
        // Base 8: sum of C1[8..12] % 728 + 12, computed by hand from the capture.
        var c1 = c0c1.AsSpan(1);
        Assert.Equal(((c1[8] + c1[9] + c1[10] + c1[11]) % 728) + 12, offset);
        Assert.Equal(Hmac(PlayerKey, WithoutDigest(c1, offset)), c1.Slice(offset, 32).ToArray());
    }

    [Fact]
    public void A_digest_S1_and_S2_verify_as_a_client_checks_them()
    {
        var c0c1 = FfmpegC0C1();
        RtmpHandshake.TryReadClientHello(c0c1, out var kind, out int clientOffset);
        var answer = new byte[RtmpHandshake.ServerHelloSize];
        RtmpHandshake.WriteServerHello(c0c1, kind, clientOffset, 1234, answer);
        Assert.Equal(3, answer[0]);
        var s1 = answer.AsSpan(1, 1536);
        var s2 = answer.AsSpan(1537, 1536);
        Assert.Equal(1234u, BinaryPrimitives.ReadUInt32BigEndian(s1));
        Assert.True(s1[4] >= 3); // a client checks our digests only when the version's first byte is 3 or more
        int serverOffset = ((s1[8] + s1[9] + s1[10] + s1[11]) % 728) + 12;
        Assert.Equal(Hmac(ServerKey, WithoutDigest(s1, serverOffset)), s1.Slice(serverOffset, 32).ToArray());
        var signatureKey = Hmac([.. ServerKey, .. Tail], c0c1.AsSpan(1 + clientOffset, 32).ToArray());
        Assert.Equal(Hmac(signatureKey, s2[..1504].ToArray()), s2[1504..].ToArray());
    }

    [Fact]
    public void A_digest_at_the_second_place_is_found_and_answered_at_the_same_place()
    {
        var c0c1 = new byte[1537];
        c0c1[0] = 3;
        var c1 = c0c1.AsSpan(1);
        RandomNumberGenerator.Fill(c1[8..]);
        BinaryPrimitives.WriteUInt32BigEndian(c1[4..], 0x0A000C02);
        int offset = ((c1[772] + c1[773] + c1[774] + c1[775]) % 728) + 776;
        Hmac(PlayerKey, WithoutDigest(c1, offset)).CopyTo(c1[offset..]);
        Assert.Equal(RtmpHandshakeError.None, RtmpHandshake.TryReadClientHello(c0c1, out var kind, out int found));
        Assert.Equal((RtmpHandshakeKind.Digest, offset), (kind, found));
        var answer = new byte[RtmpHandshake.ServerHelloSize];
        RtmpHandshake.WriteServerHello(c0c1, kind, found, 0, answer);
        var s1 = answer.AsSpan(1, 1536);
        int serverOffset = ((s1[772] + s1[773] + s1[774] + s1[775]) % 728) + 776;
        Assert.Equal(Hmac(ServerKey, WithoutDigest(s1, serverOffset)), s1.Slice(serverOffset, 32).ToArray());
    }

    [Fact]
    public void A_plain_C1_is_echoed_in_S2_and_S1_has_a_zero_version()
    {
        var c0c1 = new byte[1537];
        c0c1[0] = 3;
        RandomNumberGenerator.Fill(c0c1.AsSpan(9));
        BinaryPrimitives.WriteUInt32BigEndian(c0c1.AsSpan(1), 777);
        Assert.Equal(RtmpHandshakeError.None, RtmpHandshake.TryReadClientHello(c0c1, out var kind, out int offset));
        Assert.Equal((RtmpHandshakeKind.Plain, -1), (kind, offset));
        var answer = new byte[RtmpHandshake.ServerHelloSize];
        RtmpHandshake.WriteServerHello(c0c1, kind, offset, 99, answer);
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(answer.AsSpan(1 + 4)));
        var s2 = answer.AsSpan(1537);
        Assert.Equal(777u, BinaryPrimitives.ReadUInt32BigEndian(s2));
        Assert.Equal(99u, BinaryPrimitives.ReadUInt32BigEndian(s2[4..]));
        Assert.True(s2[8..].SequenceEqual(c0c1.AsSpan(9)));
    }

    [Fact]
    public void A_version_without_a_valid_digest_is_answered_plainly()
    {
        var c0c1 = FfmpegC0C1();
        c0c1[100] ^= 0xFF; // breaks the digest (it covers every byte but itself)
        Assert.Equal(RtmpHandshakeError.None, RtmpHandshake.TryReadClientHello(c0c1, out var kind, out _));
        Assert.Equal(RtmpHandshakeKind.Plain, kind);
    }

    [Theory]
    [InlineData(6)]
    [InlineData(8)]
    [InlineData(0)]
    public void Other_versions_and_short_input_are_refused(byte version)
    {
        var c0c1 = FfmpegC0C1();
        c0c1[0] = version;
        Assert.Equal(RtmpHandshakeError.UnsupportedVersion, RtmpHandshake.TryReadClientHello(c0c1, out _, out _));
        Assert.Equal(RtmpHandshakeError.Truncated, RtmpHandshake.TryReadClientHello(c0c1.AsSpan(0, 1536), out _, out _));
    }
}
