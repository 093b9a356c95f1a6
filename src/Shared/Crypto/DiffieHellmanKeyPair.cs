using System.Security.Cryptography;

namespace Rtmfp.Shared.Crypto;

/// <summary>
/// A Diffie-Hellman private exponent and its public key g^x mod p in one <see cref="DiffieHellmanGroup"/>
/// (RFC 7425 §4.2, §4.6.2), computed with OpenSSL's constant-time Montgomery exponentiation.
/// Immutable once created: <see cref="TryComputeSharedSecret"/> may run concurrently from a worker pool.
/// Dispose wipes and frees the private exponent.
/// </summary>
public sealed class DiffieHellmanKeyPair : IDisposable
{
    private readonly SafeBigNumHandle _privateKey;
    private readonly byte[] _publicKey;

    private DiffieHellmanKeyPair(DiffieHellmanGroup group, SafeBigNumHandle privateKey)
    {
        Group = group;
        _privateKey = privateKey;
        _publicKey = new byte[group.PrimeLength];
        using SafeBigNumHandle generator = LibCrypto.BN_new();
        LibCrypto.ThrowIfInvalid(generator);
        if (LibCrypto.BN_set_word(generator, 2) != 1)
        {
            throw new CryptographicException("OpenSSL BN_set_word failed");
        }
        int length = ModPow(generator, _publicKey, pad: true);
        if (length != group.PrimeLength)
        {
            throw new CryptographicException("public key encoding");
        }
    }

    public DiffieHellmanGroup Group { get; }

    /// <summary>Significant bits of the private exponent (tests: the exponent sizes of docs/decisions.md).</summary>
    internal int PrivateKeyBitLength => LibCrypto.BN_num_bits(_privateKey);

    /// <summary>The public key, unsigned big-endian left-padded to the prime length (what Flash/Cumulus expect: 128 bytes for group 2).</summary>
    public ReadOnlySpan<byte> PublicKey => _publicKey;

    /// <summary>A fresh key pair with a random <see cref="DiffieHellmanGroup.PrivateKeyBits"/>-bit exponent whose public key is acceptable (§4.6.2).</summary>
    public static DiffieHellmanKeyPair Generate(DiffieHellmanGroup group)
    {
        Span<byte> exponent = stackalloc byte[ExponentLength(group.PrivateKeyBits)];
        while (true)
        {
            FillExponent(exponent, group.PrivateKeyBits);
            var pair = FromPrivateKey(group, exponent);
            CryptographicOperations.ZeroMemory(exponent);
            if (group.IsAcceptablePublicKey(pair.PublicKey))
            {
                return pair;
            }
            pair.Dispose();
        }
    }

    /// <summary>Bytes of a <paramref name="bits"/>-bit exponent.</summary>
    internal static int ExponentLength(int bits) => (bits + 7) / 8;

    /// <summary>A random exponent of exactly <paramref name="bits"/> bits: the bits above cleared, the top one set (full size).</summary>
    internal static void FillExponent(Span<byte> exponent, int bits)
    {
        RandomNumberGenerator.Fill(exponent);
        int topBit = (bits - 1) % 8;
        exponent[0] = (byte)((exponent[0] & ((1 << (topBit + 1)) - 1)) | (1 << topBit));
    }

    /// <summary>A key pair from a known private exponent (unsigned big-endian): test vectors, persisted static identities.</summary>
    public static DiffieHellmanKeyPair FromPrivateKey(DiffieHellmanGroup group, ReadOnlySpan<byte> privateKey)
    {
        LibCrypto.EnsureLoaded();
        if (privateKey.IndexOfAnyExcept((byte)0) < 0 || privateKey.Length > group.PrimeLength)
        {
            throw new ArgumentException("private exponent must be non-zero and shorter than the prime", nameof(privateKey));
        }
        SafeBigNumHandle x = LibCrypto.FromBytes(privateKey, secret: true);
        try
        {
            return new DiffieHellmanKeyPair(group, x);
        }
        catch
        {
            x.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Combines the far end's public key with our private key: DH_SECRET, the shared secret as an
    /// unsigned big-endian integer with NO leading zero bytes (RFC 7425 §4.6.2, e.g. 4886718345 →
    /// 01 23 45 67 89). Returns false if the far key is not acceptable (§4.6.2). The destination
    /// needs <see cref="DiffieHellmanGroup.PrimeLength"/> bytes.
    /// </summary>
    public bool TryComputeSharedSecret(ReadOnlySpan<byte> farPublicKey, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (!Group.IsAcceptablePublicKey(farPublicKey))
        {
            return false;
        }
        if (destination.Length < Group.PrimeLength)
        {
            throw new ArgumentException("destination shorter than the prime", nameof(destination));
        }
        using SafeBigNumHandle y = LibCrypto.FromBytes(farPublicKey, secret: false);
        bytesWritten = ModPow(y, destination, pad: false);
        return true;
    }

    /// <summary>Allocating convenience for <see cref="TryComputeSharedSecret"/>; null if the far key is unacceptable.</summary>
    public byte[]? ComputeSharedSecret(ReadOnlySpan<byte> farPublicKey)
    {
        Span<byte> buffer = stackalloc byte[Group.PrimeLength];
        if (!TryComputeSharedSecret(farPublicKey, buffer, out int written))
        {
            return null;
        }
        byte[] result = buffer[..written].ToArray();
        CryptographicOperations.ZeroMemory(buffer);
        return result;
    }

    /// <summary>base^x mod p into destination; pad = left-pad to the prime length, else minimal bytes.</summary>
    private unsafe int ModPow(SafeBigNumHandle @base, Span<byte> destination, bool pad)
    {
        using SafeBigNumHandle result = LibCrypto.BN_secure_new();
        LibCrypto.ThrowIfInvalid(result);
        using SafeBigNumContextHandle context = LibCrypto.BN_CTX_new();
        LibCrypto.ThrowIfInvalid(context);
        if (LibCrypto.BN_mod_exp_mont_consttime(result, @base, _privateKey, Group.NativePrime, context, Group.NativeMontgomery) != 1)
        {
            throw new CryptographicException("OpenSSL BN_mod_exp_mont_consttime failed");
        }
        int needed = (LibCrypto.BN_num_bits(result) + 7) / 8;
        if (needed > destination.Length)
        {
            throw new CryptographicException("modular result longer than the prime");
        }
        fixed (byte* p = destination)
        {
            return pad
                ? LibCrypto.BN_bn2binpad(result, p, Group.PrimeLength)
                : LibCrypto.BN_bn2bin(result, p);
        }
    }

    public void Dispose() => _privateKey.Dispose();
}
