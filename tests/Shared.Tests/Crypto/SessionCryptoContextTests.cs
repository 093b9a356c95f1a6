using System.Buffers.Binary;
using System.Security.Cryptography;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Shared.Tests.Crypto;

public class SessionCryptoContextTests
{
    /// <summary>Keys of both ends of a session from a seeded fake DH secret and components.</summary>
    private static (SessionKeys A, SessionKeys B) Keys(int seed)
    {
        var random = new Random(seed);
        var secret = new byte[128];
        random.NextBytes(secret);
        var skic = new byte[40];
        var skrc = new byte[50];
        random.NextBytes(skic);
        random.NextBytes(skrc);
        return (SessionKeys.Derive(secret, skic, skrc), SessionKeys.Derive(secret, skrc, skic));
    }

    private static (SessionCryptoContext A, SessionCryptoContext B) Pair(int hmacAtoB, int hmacBtoA, bool sseqAtoB, bool sseqBtoA, int seed = 1)
    {
        var (keysA, keysB) = Keys(seed);
        var a = new SessionCryptoContext(keysA, new PacketVerificationSettings(hmacAtoB, hmacBtoA, sseqAtoB, sseqBtoA));
        var b = new SessionCryptoContext(keysB, new PacketVerificationSettings(hmacBtoA, hmacAtoB, sseqBtoA, sseqAtoB));
        return (a, b);
    }

    private static byte[] Seal(SessionCryptoContext context, byte[] plain)
    {
        var buffer = new byte[context.GetEncryptedLength(plain.Length)];
        Assert.Equal(buffer.Length, context.Encrypt(plain, buffer));
        return buffer;
    }

    private static byte[]? Open(SessionCryptoContext context, byte[] encrypted)
    {
        var buffer = new byte[encrypted.Length];
        return context.TryDecrypt(encrypted, buffer, out int offset, out int length) ? buffer.AsSpan(offset, length).ToArray() : null;
    }

    private static byte[] Plain(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        bytes[0] = 0x89;
        return bytes;
    }

    [Theory]
    [InlineData(0, 0, false, false)]
    [InlineData(16, 16, false, false)]
    [InlineData(0, 0, true, true)]
    [InlineData(10, 32, true, false)]
    [InlineData(4, 0, false, true)]
    public void Round_trips_in_both_directions(int hmacAtoB, int hmacBtoA, bool sseqAtoB, bool sseqBtoA)
    {
        var (a, b) = Pair(hmacAtoB, hmacBtoA, sseqAtoB, sseqBtoA);
        using (a)
        using (b)
        {
            for (int i = 0; i < 40; i++)
            {
                byte[] plain = Plain(1 + (i * 37 % 1200), i);
                byte[] toB = Seal(a, plain);
                Assert.Equal(0, (toB.Length - hmacAtoB) % 16);
                byte[]? got = Open(b, toB);
                Assert.NotNull(got);
                Assert.Equal(plain, got.AsSpan(0, plain.Length).ToArray());
                Assert.True(got.AsSpan(plain.Length).IndexOfAnyExcept((byte)0xFF) < 0);

                byte[] toA = Seal(b, plain);
                Assert.Equal(plain, Open(a, toA)!.AsSpan(0, plain.Length).ToArray());
            }
        }
    }

    [Fact]
    public void Sequence_numbers_are_vlu_prefixed_and_counted()
    {
        var (a, b) = Pair(16, 16, true, true);
        using (a)
        using (b)
        {
            for (int i = 0; i < 200; i++)
            {
                Assert.Equal((ulong)i, a.NextSendSequenceNumber);
                Assert.NotNull(Open(b, Seal(a, Plain(20, i))));
            }
            Assert.Equal(200UL, a.NextSendSequenceNumber);
        }
    }

    [Fact]
    public void Replayed_packet_is_rejected_with_sequence_numbers()
    {
        var (a, b) = Pair(0, 0, true, true);
        using (a)
        using (b)
        {
            byte[] packet = Seal(a, Plain(30, 1));
            Assert.NotNull(Open(b, packet));
            Assert.Null(Open(b, packet));
        }
    }

    [Fact]
    public void Reordering_inside_the_window_is_accepted_and_below_it_rejected()
    {
        var (a, b) = Pair(8, 8, true, true);
        using (a)
        using (b)
        {
            var packets = new List<byte[]>();
            for (int i = 0; i < 100; i++)
            {
                packets.Add(Seal(a, Plain(25, i)));
            }
            Assert.NotNull(Open(b, packets[40]));
            // 32 behind the highest: inside the window, each once.
            Assert.NotNull(Open(b, packets[8]));
            Assert.NotNull(Open(b, packets[39]));
            Assert.Null(Open(b, packets[39]));
            Assert.NotNull(Open(b, packets[99]));
            // 64 behind 99 is below the window.
            Assert.Null(Open(b, packets[35]));
            Assert.NotNull(Open(b, packets[36]));
        }
    }

    [Fact]
    public void Without_sequence_numbers_a_duplicate_is_not_detected()
    {
        var (a, b) = Pair(16, 16, false, false);
        using (a)
        using (b)
        {
            byte[] packet = Seal(a, Plain(30, 1));
            Assert.NotNull(Open(b, packet));
            Assert.NotNull(Open(b, packet));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    public void Packet_under_a_wrong_key_is_rejected(int hmac)
    {
        var (a, _) = Pair(hmac, hmac, false, false, seed: 1);
        var (_, other) = Pair(hmac, hmac, false, false, seed: 2);
        using (a)
        using (other)
        {
            int rejected = 0;
            for (int i = 0; i < 50; i++)
            {
                rejected += Open(other, Seal(a, Plain(60, i))) is null ? 1 : 0;
            }
            // HMAC rejects all; a 16-bit checksum lets about 1 in 65536 through.
            Assert.Equal(50, rejected);
        }
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(16, false)]
    [InlineData(0, true)]
    [InlineData(12, true)]
    public void Any_tampered_byte_is_rejected(int hmac, bool sseq)
    {
        var (a, b) = Pair(hmac, hmac, sseq, sseq);
        using (a)
        using (b)
        {
            byte[] packet = Seal(a, Plain(45, 3));
            for (int i = 0; i < packet.Length; i++)
            {
                byte[] tampered = (byte[])packet.Clone();
                tampered[i] ^= (byte)(1 << (i % 8));
                Assert.Null(Open(b, tampered));
            }
            Assert.NotNull(Open(b, packet));
        }
    }

    [Fact]
    public void Checksum_mode_with_odd_sequence_number_field_uses_the_odd_byte_rule()
    {
        var (a, b) = Pair(0, 0, true, true);
        using (a)
        using (b)
        {
            byte[] packet = Seal(a, Plain(17, 9));
            // Inspect the plaintext with a raw AES decrypt: SSEQ 00, checksum over the odd-length rest.
            using var aes = Aes.Create();
            aes.Key = Keys(1).A.EncryptKey[..16];
            byte[] plaintext = aes.DecryptCbc(packet, new byte[16], PaddingMode.None);
            Assert.Equal(0, plaintext[0]);
            int covered = plaintext.Length - 3;
            Assert.Equal(1, covered % 2);
            Assert.Equal(InternetChecksum.Compute(plaintext.AsSpan(3)), BinaryPrimitives.ReadUInt16BigEndian(plaintext.AsSpan(1)));
            Assert.NotNull(Open(b, packet));
        }
    }

    [Fact]
    public void Encrypt_and_decrypt_work_in_place()
    {
        var (a, b) = Pair(16, 16, true, true);
        using (a)
        using (b)
        {
            byte[] plain = Plain(100, 4);
            var buffer = new byte[256];
            plain.CopyTo(buffer, 12); // plain packet already inside the destination
            int length = a.Encrypt(buffer.AsSpan(12, plain.Length), buffer);
            Span<byte> packet = buffer.AsSpan(0, length);
            Assert.True(b.TryDecrypt(packet, packet, out int offset, out int plainLength));
            Assert.Equal(plain, packet.Slice(offset, plain.Length).ToArray());
            Assert.Equal(length - 16 - offset, plainLength);
        }
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 15)]
    [InlineData(0, 17)]
    [InlineData(16, 16)]
    [InlineData(16, 31)]
    [InlineData(16, 33)]
    public void Malformed_lengths_are_rejected_without_throwing(int hmac, int length)
    {
        var (a, _) = Pair(hmac, hmac, false, false);
        using (a)
        {
            var input = new byte[length];
            Assert.False(a.TryDecrypt(input, new byte[64], out _, out _));
        }
    }

    [Fact]
    public void Small_destination_fails_decrypt_and_throws_on_encrypt()
    {
        using var context = SessionCryptoContext.CreateDefault();
        byte[] packet = Seal(context, Plain(40, 1));
        Assert.False(context.TryDecrypt(packet, new byte[packet.Length - 1], out _, out _));
        Assert.Throws<ArgumentException>(() => context.Encrypt(Plain(40, 1), new byte[47]));
        Assert.Throws<ArgumentException>(() => context.Encrypt([], new byte[64]));
    }

    [Fact]
    public void Invalid_hmac_length_is_refused()
    {
        var keys = SessionKeys.Derive([1, 2, 3], [4], [5]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SessionCryptoContext(keys, new PacketVerificationSettings(3, 0, false, false)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SessionCryptoContext(keys, new PacketVerificationSettings(0, 33, false, false)));
    }

    [Fact]
    public void Internet_checksum_matches_rfc1071_example_and_odd_rule()
    {
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
        Assert.Equal(0x220d, InternetChecksum.Compute([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]));
        // Odd byte is the LOW half of the last word (RFC 7425 §4.7.3.1).
        Assert.Equal(0xEDCB, InternetChecksum.Compute([0x12, 0x00, 0x34])); // ~(0x1200 + 0x0034)
        Assert.Equal(0xFFFF, InternetChecksum.Compute([]));
        // End-around carry.
        Assert.Equal(0xFFFD, InternetChecksum.Compute([0xFF, 0xFF, 0x00, 0x02]));
    }

    [Fact]
    public void Anti_replay_window_tracks_a_64_number_bitmap()
    {
        var window = new AntiReplayWindow();
        Assert.True(window.IsAcceptable(5));
        window.Accept(5);
        Assert.False(window.IsAcceptable(5));
        Assert.True(window.IsAcceptable(0));
        window.Accept(1000);
        Assert.False(window.IsAcceptable(936)); // 64 below
        Assert.True(window.IsAcceptable(937));
        window.Accept(937);
        Assert.False(window.IsAcceptable(937));
        window.Accept(1001);
        Assert.False(window.IsAcceptable(1000));
        Assert.False(window.IsAcceptable(937));
        Assert.True(window.IsAcceptable(ulong.MaxValue));
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(16, true)]
    public void Encrypt_and_decrypt_do_not_allocate(int hmac, bool sseq)
    {
        var (a, b) = Pair(hmac, hmac, sseq, sseq);
        using (a)
        using (b)
        {
            var packet = new byte[1100];
            var plain = new byte[1000];
            var output = new byte[1100];
            plain[0] = 0x89;
            for (int i = 0; i < 10; i++)
            {
                int n = a.Encrypt(plain, packet);
                Assert.True(b.TryDecrypt(packet.AsSpan(0, n), output, out _, out _));
            }
            // Rounds until one allocates nothing: what the runtime allocates once while tiered compilation replaces
            // the first code (at a time of its choosing) is not per packet; an allocation per packet shows in every round.
            ulong sequence = 1000;
            var rounds = new List<long>();
            for (int round = 0; round < 30 && (rounds.Count == 0 || rounds[^1] != 0); round++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 200; i++)
                {
                    int n = a.Encrypt(plain, packet);
                    b.TryDecrypt(packet.AsSpan(0, n), output, out _, out _);
                    // And the calls a gateway makes: the session's own sequence numbers, no window (RFC 7425 §4.6.6).
                    n = a.Encrypt(plain, packet, sequence++);
                    b.TryDecryptUnwindowed(packet.AsSpan(0, n), output, out _, out _, out _);
                }
                rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
            }
            Assert.True(rounds[^1] == 0, $"bytes per round of 200 packets each way: {string.Join(", ", rounds)}");
            Assert.All(rounds, bytes => Assert.True(bytes < 200 * 24, $"{bytes} bytes for 200 packets"));
        }
    }

    [Fact]
    public void The_plaintext_connect_vectors_round_trip_under_session_keys_as_a_gateway_opens_them()
    {
        var (a, b) = Pair(16, 0, true, false);
        using (a)
        using (b)
        {
            var packets = Rtmfp.Shared.Tests.Wire.CapturedVectors.PlaintextConnectPackets();
            Assert.NotEmpty(packets);
            var output = new byte[2048];
            ulong sequence = 5;
            foreach (var packet in packets)
            {
                var encrypted = new byte[a.GetEncryptedLength(packet.Length, sequence)];
                int n = a.Encrypt(packet, encrypted, sequence);
                Assert.True(b.TryDecryptUnwindowed(encrypted.AsSpan(0, n), output, out int offset, out int length, out ulong received));
                Assert.Equal(sequence++, received);
                Assert.Equal(packet, output.AsSpan(offset, packet.Length).ToArray());
                Assert.True(Rtmfp.Shared.Wire.PlainPacket.TryRead(output.AsSpan(offset, length), out var header, out _));
                Assert.Equal(packet[0], (byte)header.Flags);
                if (header.HasTimestamp)
                {
                    Assert.Equal(BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(1)), header.Timestamp);
                }
            }
        }
    }

    [Fact]
    public void Shifted_overlap_is_a_caller_bug()
    {
        using var context = SessionCryptoContext.CreateDefault();
        byte[] packet = Seal(context, Plain(40, 1));
        var buffer = new byte[packet.Length + 16];
        packet.CopyTo(buffer, 0);
        Assert.Throws<ArgumentException>(() => context.TryDecrypt(buffer.AsSpan(0, packet.Length), buffer.AsSpan(16), out _, out _));
    }
}
