using System.Diagnostics.CodeAnalysis;
using System.Numerics;

namespace Rtmfp.Shared.Crypto;

/// <summary>
/// A MODP Diffie-Hellman group with generator 2 (RFC 7425 §4.2): group 2 (RFC 2409 §6.2, 1024 bits)
/// is required, 5 and 14 (RFC 3526 §2, §3; 1536/2048 bits) recommended. Group IDs are the IKE numbers.
/// Immutable and thread-safe.
/// </summary>
public sealed class DiffieHellmanGroup
{
    private const string Prime1024 =
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
        "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF";

    private const string Prime1536 =
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
        "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
        "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF";

    private const string Prime2048 =
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
        "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
        "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
        "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
        "15728E5A8AACAA68FFFFFFFFFFFFFFFF";

    // Private exponent sizes: about twice the group's symmetric strength (RFC 3526 §8), the same
    // choice as the RFC author's implementation for groups 2 and 14.
    public static DiffieHellmanGroup Group2 { get; } = new(2, Prime1024, 224);
    public static DiffieHellmanGroup Group5 { get; } = new(5, Prime1536, 256);
    public static DiffieHellmanGroup Group14 { get; } = new(14, Prime2048, 320);

    /// <summary>Every supported group, strongest first (the order an initiator prefers, RFC 7425 §4.6.1).</summary>
    public static IReadOnlyList<DiffieHellmanGroup> All { get; } = [Group14, Group5, Group2];

    private readonly byte[] _prime;
    private readonly Lazy<SafeBigNumHandle> _nativePrime;
    private readonly Lazy<IntPtr> _montgomery;
    private readonly byte[] _upperBound; // p - 2^24, same length as p

    private DiffieHellmanGroup(ulong id, string primeHex, int privateKeyBits)
    {
        Id = id;
        _prime = Convert.FromHexString(primeHex);
        PrivateKeyBits = privateKeyBits;
        var upper = new BigInteger(_prime, isUnsigned: true, isBigEndian: true) - (1 << 24);
        _upperBound = new byte[_prime.Length];
        upper.TryWriteBytes(_upperBound, out int written, isUnsigned: true, isBigEndian: true);
        if (written != _prime.Length)
        {
            throw new InvalidOperationException("prime bound");
        }
        // Created on first Diffie-Hellman use only; lives as long as the (static) group.
        _nativePrime = new Lazy<SafeBigNumHandle>(() => LibCrypto.FromBytes(_prime, secret: false));
        _montgomery = new Lazy<IntPtr>(() => LibCrypto.NewMontgomeryContext(NativePrime));
    }

    /// <summary>The prime as an OpenSSL BIGNUM, read concurrently by every key computation.</summary>
    internal SafeBigNumHandle NativePrime => _nativePrime.Value;

    /// <summary>
    /// OpenSSL's Montgomery form of the prime (BN_MONT_CTX), made once and only read afterwards, as OpenSSL's own DH
    /// keeps it: without it every exponentiation set one up again. Never freed (the groups are static).
    /// </summary>
    internal IntPtr NativeMontgomery => _montgomery.Value;

    /// <summary>IKE group number as carried in the VLU group ID fields.</summary>
    public ulong Id { get; }

    /// <summary>The prime modulus, unsigned big-endian.</summary>
    public ReadOnlySpan<byte> Prime => _prime;

    /// <summary>Length in bytes of the prime; public keys are sent left-padded to this length.</summary>
    public int PrimeLength => _prime.Length;

    public int PrivateKeyBits { get; }

    public static bool TryGet(ulong id, [NotNullWhen(true)] out DiffieHellmanGroup? group)
    {
        group = id switch
        {
            2 => Group2,
            5 => Group5,
            14 => Group14,
            _ => null,
        };
        return group is not null;
    }

    /// <summary>
    /// RFC 7425 §4.6.2 acceptability: 2^24 ≤ y ≤ p − 2^24, at least 16 one bits and at least 16 zero
    /// bits not counting leading zeros. Leading zero bytes in the encoding are allowed. This rejects
    /// 0, 1, p − 1, p and anything larger.
    /// </summary>
    public bool IsAcceptablePublicKey(ReadOnlySpan<byte> publicKey)
    {
        int start = publicKey.IndexOfAnyExcept((byte)0);
        if (start < 0)
        {
            return false;
        }
        ReadOnlySpan<byte> y = publicKey[start..];
        // y ≥ 2^24 ⇔ at least 4 significant bytes (the first being non-zero).
        if (y.Length < 4 || y.Length > _prime.Length)
        {
            return false;
        }
        if (y.Length == _prime.Length && y.SequenceCompareTo(_upperBound) > 0)
        {
            return false;
        }
        int ones = 0;
        foreach (byte b in y)
        {
            ones += BitOperations.PopCount(b);
        }
        int bitLength = (y.Length * 8) - (BitOperations.LeadingZeroCount((uint)y[0]) - 24);
        int zeros = bitLength - ones;
        return ones >= 16 && zeros >= 16;
    }

    public override string ToString() => $"MODP group {Id} ({_prime.Length * 8} bits)";
}
