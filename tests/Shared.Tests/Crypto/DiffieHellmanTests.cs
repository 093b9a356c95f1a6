using System.Numerics;
using System.Runtime.InteropServices;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Shared.Tests.Crypto;

public partial class DiffieHellmanTests
{
    [LibraryImport("libcrypto.so.3")]
    private static partial IntPtr BN_get_rfc2409_prime_1024(IntPtr bn);

    [LibraryImport("libcrypto.so.3")]
    private static partial IntPtr BN_get_rfc3526_prime_1536(IntPtr bn);

    [LibraryImport("libcrypto.so.3")]
    private static partial IntPtr BN_get_rfc3526_prime_2048(IntPtr bn);

    [LibraryImport("libcrypto.so.3")]
    private static partial int BN_num_bits(IntPtr bn);

    [LibraryImport("libcrypto.so.3")]
    private static unsafe partial int BN_bn2bin(IntPtr bn, byte* to);

    [LibraryImport("libcrypto.so.3")]
    private static partial void BN_free(IntPtr bn);

    private static unsafe byte[] OpenSslPrime(IntPtr bn)
    {
        var bytes = new byte[(BN_num_bits(bn) + 7) / 8];
        fixed (byte* p = bytes)
        {
            BN_bn2bin(bn, p);
        }
        BN_free(bn);
        return bytes;
    }

    private static BigInteger Big(ReadOnlySpan<byte> bytes) => new(bytes, isUnsigned: true, isBigEndian: true);

    private static byte[] Bytes(BigInteger value) => value.ToByteArray(isUnsigned: true, isBigEndian: true);

    [Fact]
    public void Group_primes_are_the_rfc_primes()
    {
        Assert.Equal(OpenSslPrime(BN_get_rfc2409_prime_1024(0)), DiffieHellmanGroup.Group2.Prime.ToArray());
        Assert.Equal(OpenSslPrime(BN_get_rfc3526_prime_1536(0)), DiffieHellmanGroup.Group5.Prime.ToArray());
        Assert.Equal(OpenSslPrime(BN_get_rfc3526_prime_2048(0)), DiffieHellmanGroup.Group14.Prime.ToArray());
        Assert.Equal(128, DiffieHellmanGroup.Group2.PrimeLength);
        Assert.Equal(192, DiffieHellmanGroup.Group5.PrimeLength);
        Assert.Equal(256, DiffieHellmanGroup.Group14.PrimeLength);
        Assert.True(DiffieHellmanGroup.TryGet(14, out var g14) && g14 == DiffieHellmanGroup.Group14);
        Assert.False(DiffieHellmanGroup.TryGet(16, out _));
        Assert.Equal([14UL, 5UL, 2UL], DiffieHellmanGroup.All.Select(g => g.Id));
    }

    public static TheoryData<ulong> Groups => [2, 5, 14];

    /// <summary>
    /// docs/decisions.md, README: private exponents of 224 bits (group 2), 256 (group 5) and 320 (group 14), about twice
    /// each group's symmetric strength (RFC 3526 §8), the sizes the RFC author's implementation uses; every key pair, the
    /// server's ephemeral ones included, comes from <see cref="DiffieHellmanKeyPair.Generate"/>, which sets the top bit.
    /// </summary>
    [Theory]
    [InlineData(2UL, 224)]
    [InlineData(5UL, 256)]
    [InlineData(14UL, 320)]
    public void Private_exponents_have_the_standard_size_for_their_group(ulong id, int bits)
    {
        Assert.True(DiffieHellmanGroup.TryGet(id, out var group));
        Assert.Equal(bits, group.PrivateKeyBits);
        for (int i = 0; i < 32; i++)
        {
            using var pair = DiffieHellmanKeyPair.Generate(group);
            Assert.Equal(bits, pair.PrivateKeyBitLength);
        }
    }

    [Theory]
    [MemberData(nameof(Groups))]
    public void Key_agreement_matches_biginteger_and_both_ends_agree(ulong id)
    {
        DiffieHellmanGroup.TryGet(id, out var group);
        using var a = DiffieHellmanKeyPair.Generate(group!);
        using var b = DiffieHellmanKeyPair.Generate(group!);
        Assert.Equal(group!.PrimeLength, a.PublicKey.Length);
        Assert.True(group.IsAcceptablePublicKey(a.PublicKey));
        Assert.NotEqual(a.PublicKey.ToArray(), b.PublicKey.ToArray());
        byte[] s1 = a.ComputeSharedSecret(b.PublicKey)!;
        byte[] s2 = b.ComputeSharedSecret(a.PublicKey)!;
        Assert.Equal(s1, s2);
        Assert.NotEqual(0, s1[0]);

        // Cross-check one exponentiation with BigInteger using a known exponent.
        var x = new byte[32];
        new Random((int)id).NextBytes(x);
        x[0] |= 0x80;
        using var known = DiffieHellmanKeyPair.FromPrivateKey(group, x);
        BigInteger p = Big(group.Prime);
        BigInteger expectedPublic = BigInteger.ModPow(2, Big(x), p);
        Assert.Equal(expectedPublic, Big(known.PublicKey));
        Assert.Equal(Bytes(BigInteger.ModPow(Big(a.PublicKey), Big(x), p)), known.ComputeSharedSecret(a.PublicKey));
    }

    [Fact]
    public void Dh_secret_has_no_leading_zero_bytes()
    {
        // RFC 7425 §4.6.2: DH_SECRET is the minimal big-endian encoding (4886718345 → 01 23 45 67 89).
        // With private exponent 1 the secret is the far key itself; send it padded with zero bytes.
        using var identity = DiffieHellmanKeyPair.FromPrivateKey(DiffieHellmanGroup.Group2, [1]);
        var far = new byte[128];
        Hex.Parse("0123456789abcdef").CopyTo(far, 120);
        Assert.Equal("0123456789abcdef", Hex.Of(identity.ComputeSharedSecret(far)));
        // The RFC's own example value has only 15 one bits: not an acceptable public key.
        Assert.Null(identity.ComputeSharedSecret(Hex.Parse("0123456789")));
    }

    [Fact]
    public void A_secret_shorter_than_the_prime_is_not_padded()
    {
        // Deterministic search for a pair whose shared secret starts with a zero byte (~1 in 256).
        var random = new Random(7);
        var x = new byte[28];
        random.NextBytes(x);
        using var a = DiffieHellmanKeyPair.FromPrivateKey(DiffieHellmanGroup.Group2, x);
        BigInteger p = Big(DiffieHellmanGroup.Group2.Prime);
        for (int i = 0; i < 5000; i++)
        {
            random.NextBytes(x);
            using var b = DiffieHellmanKeyPair.FromPrivateKey(DiffieHellmanGroup.Group2, x);
            byte[] secret = a.ComputeSharedSecret(b.PublicKey)!;
            if (secret.Length < 128)
            {
                Assert.NotEqual(0, secret[0]);
                Assert.Equal(Bytes(BigInteger.ModPow(Big(a.PublicKey), Big(x), p)), secret);
                Assert.Equal(secret, b.ComputeSharedSecret(a.PublicKey));
                return;
            }
        }
        Assert.Fail("no short secret found");
    }

    [Theory]
    [MemberData(nameof(Groups))]
    public void Public_key_checks_reject_trivial_and_out_of_range_values(ulong id)
    {
        DiffieHellmanGroup.TryGet(id, out var group);
        BigInteger p = Big(group!.Prime);
        byte[] Pad(BigInteger v)
        {
            byte[] raw = Bytes(v);
            var padded = new byte[Math.Max(group.PrimeLength, raw.Length)];
            raw.CopyTo(padded, padded.Length - raw.Length);
            return padded;
        }
        Assert.False(group.IsAcceptablePublicKey([]));
        Assert.False(group.IsAcceptablePublicKey(Pad(0)));
        Assert.False(group.IsAcceptablePublicKey(Pad(1)));
        Assert.False(group.IsAcceptablePublicKey([1]));
        Assert.False(group.IsAcceptablePublicKey(Pad(p - 1)));
        Assert.False(group.IsAcceptablePublicKey(Pad(p)));
        Assert.False(group.IsAcceptablePublicKey(Pad(p + 12345)));
        Assert.False(group.IsAcceptablePublicKey(Pad(BigInteger.One << (group.PrimeLength * 8 + 3))));
        // Bounds: 2^24 - 1 < y ≤ p − 2^24, plus the bit-count rules.
        BigInteger lowest = (BigInteger.One << 24) | 0xFFFF; // 17 one bits but only 8 zero bits
        Assert.False(group.IsAcceptablePublicKey(Pad(lowest)));
        Assert.True(group.IsAcceptablePublicKey(Pad((BigInteger.One << 40) | 0xFFFF)));
        Assert.True(group.IsAcceptablePublicKey(Pad(p - (1 << 24))));
        Assert.False(group.IsAcceptablePublicKey(Pad(p - (1 << 24) + 1)));
        Assert.False(group.IsAcceptablePublicKey(Pad((BigInteger.One << 1000) | 0x3FFF))); // 15 one bits
        Assert.True(group.IsAcceptablePublicKey(Pad((BigInteger.One << 1000) | 0xFFFF)));
        // Leading zeros are not counted as zero bits.
        Assert.False(group.IsAcceptablePublicKey(Pad((BigInteger.One << 40) - 1))); // 40 ones, no zeros
        // A computed key passes; the key pair refuses an unacceptable far key.
        using var pair = DiffieHellmanKeyPair.Generate(group);
        Assert.Null(pair.ComputeSharedSecret(Pad(1)));
        Assert.Null(pair.ComputeSharedSecret(Pad(p - 1)));
        Assert.False(pair.TryComputeSharedSecret(Pad(p), new byte[group.PrimeLength], out _));
    }

    [Fact]
    public void Private_key_must_be_non_zero()
    {
        Assert.Throws<ArgumentException>(() => DiffieHellmanKeyPair.FromPrivateKey(DiffieHellmanGroup.Group2, [0, 0]));
        Assert.Throws<ArgumentException>(() => DiffieHellmanKeyPair.FromPrivateKey(DiffieHellmanGroup.Group2, new byte[129]));
    }

    [Fact]
    public void Key_pairs_are_usable_from_many_threads()
    {
        using var server = DiffieHellmanKeyPair.Generate(DiffieHellmanGroup.Group2);
        var clients = Enumerable.Range(0, 16).Select(_ => DiffieHellmanKeyPair.Generate(DiffieHellmanGroup.Group2)).ToArray();
        byte[][] expected = clients.Select(c => c.ComputeSharedSecret(server.PublicKey)!).ToArray();
        var results = new byte[clients.Length][];
        Parallel.For(0, clients.Length * 4, i => results[i % clients.Length] = server.ComputeSharedSecret(clients[i % clients.Length].PublicKey)!);
        for (int i = 0; i < clients.Length; i++)
        {
            Assert.Equal(expected[i], results[i]);
            clients[i].Dispose();
        }
    }
}
