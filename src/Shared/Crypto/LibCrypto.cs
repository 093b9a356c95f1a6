using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Rtmfp.Shared.Crypto;

/// <summary>
/// The few OpenSSL 3 libcrypto BIGNUM calls Diffie-Hellman needs (BigInteger.ModPow is far too slow).
/// .NET itself uses libcrypto.so.3 on Linux, so it is present wherever the runtime's crypto works.
/// </summary>
internal static partial class LibCrypto
{
    private const string Library = "libcrypto.so.3";

    static LibCrypto()
    {
        if (!NativeLibrary.TryLoad(Library, typeof(LibCrypto).Assembly, null, out _))
        {
            throw new PlatformNotSupportedException(
                $"Diffie-Hellman needs OpenSSL 3 ({Library}); it could not be loaded. Install libssl3 / openssl 3.");
        }
    }

    /// <summary>Forces the load check (the static constructor) before first use.</summary>
    internal static void EnsureLoaded()
    {
    }

    [LibraryImport(Library)]
    internal static partial SafeBigNumHandle BN_new();

    [LibraryImport(Library)]
    internal static partial SafeBigNumHandle BN_secure_new();

    [LibraryImport(Library)]
    internal static unsafe partial IntPtr BN_bin2bn(byte* s, int len, SafeBigNumHandle ret);

    [LibraryImport(Library)]
    internal static unsafe partial int BN_bn2bin(SafeBigNumHandle a, byte* to);

    [LibraryImport(Library)]
    internal static unsafe partial int BN_bn2binpad(SafeBigNumHandle a, byte* to, int tolen);

    [LibraryImport(Library)]
    internal static partial int BN_num_bits(SafeBigNumHandle a);

    [LibraryImport(Library)]
    internal static partial int BN_set_word(SafeBigNumHandle a, nuint w);

    [LibraryImport(Library)]
    internal static partial int BN_mod_exp_mont_consttime(
        SafeBigNumHandle r, SafeBigNumHandle a, SafeBigNumHandle p, SafeBigNumHandle m, SafeBigNumContextHandle ctx, IntPtr inMont);

    [LibraryImport(Library)]
    internal static partial void BN_clear_free(IntPtr a);

    [LibraryImport(Library)]
    internal static partial IntPtr BN_MONT_CTX_new();

    [LibraryImport(Library)]
    internal static partial int BN_MONT_CTX_set(IntPtr mont, SafeBigNumHandle mod, SafeBigNumContextHandle ctx);

    [LibraryImport(Library)]
    internal static partial void BN_MONT_CTX_free(IntPtr mont);

    /// <summary>A Montgomery context for the odd modulus <paramref name="modulus"/> (the caller keeps it).</summary>
    internal static IntPtr NewMontgomeryContext(SafeBigNumHandle modulus)
    {
        IntPtr mont = BN_MONT_CTX_new();
        if (mont == IntPtr.Zero)
        {
            throw new CryptographicException("OpenSSL BN_MONT_CTX_new failed");
        }
        using SafeBigNumContextHandle context = BN_CTX_new();
        ThrowIfInvalid(context);
        if (BN_MONT_CTX_set(mont, modulus, context) != 1)
        {
            BN_MONT_CTX_free(mont);
            throw new CryptographicException("OpenSSL BN_MONT_CTX_set failed");
        }
        return mont;
    }

    [LibraryImport(Library)]
    internal static partial SafeBigNumContextHandle BN_CTX_new();

    [LibraryImport(Library)]
    internal static partial void BN_CTX_free(IntPtr ctx);

    [LibraryImport(Library)]
    internal static partial SafeCipherContextHandle EVP_CIPHER_CTX_new();

    [LibraryImport(Library)]
    internal static partial void EVP_CIPHER_CTX_free(IntPtr ctx);

    [LibraryImport(Library)]
    internal static partial IntPtr EVP_aes_128_cbc();

    [LibraryImport(Library)]
    internal static unsafe partial int EVP_CipherInit_ex(SafeCipherContextHandle ctx, IntPtr cipher, IntPtr engine, byte* key, byte* iv, int enc);

    [LibraryImport(Library)]
    internal static partial int EVP_CIPHER_CTX_set_padding(SafeCipherContextHandle ctx, int padding);

    [LibraryImport(Library)]
    internal static unsafe partial int EVP_CipherUpdate(SafeCipherContextHandle ctx, byte* output, out int outputLength, byte* input, int inputLength);

    /// <summary>A new BIGNUM holding the unsigned big-endian <paramref name="bytes"/>.</summary>
    internal static unsafe SafeBigNumHandle FromBytes(ReadOnlySpan<byte> bytes, bool secret)
    {
        SafeBigNumHandle bn = secret ? BN_secure_new() : BN_new();
        ThrowIfInvalid(bn);
        fixed (byte* p = bytes)
        {
            if (BN_bin2bn(p, bytes.Length, bn) == IntPtr.Zero)
            {
                bn.Dispose();
                throw new CryptographicException("OpenSSL BN_bin2bn failed");
            }
        }
        return bn;
    }

    internal static void ThrowIfInvalid(SafeHandle handle)
    {
        if (handle.IsInvalid)
        {
            handle.Dispose();
            throw new CryptographicException("OpenSSL allocation failed");
        }
    }
}
