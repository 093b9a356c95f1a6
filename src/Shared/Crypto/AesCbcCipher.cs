using System.Security.Cryptography;

namespace Rtmfp.Shared.Crypto;

/// <summary>
/// AES-128-CBC with a zero IV for every packet and no padding (RFC 7425 §4.7.1), one direction.
/// Wraps a reusable OpenSSL EVP_CIPHER_CTX: unlike Aes.EncryptCbc (a new native context and 64
/// managed bytes per call) this allocates nothing per packet. Not thread-safe.
/// </summary>
internal sealed class AesCbcCipher : IDisposable
{
    private static ReadOnlySpan<byte> ZeroIv => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    private readonly SafeCipherContextHandle _context;

    public unsafe AesCbcCipher(ReadOnlySpan<byte> key, bool encrypt)
    {
        if (key.Length != 16)
        {
            throw new ArgumentException("AES-128 key must be 16 bytes", nameof(key));
        }
        _context = LibCrypto.EVP_CIPHER_CTX_new();
        LibCrypto.ThrowIfInvalid(_context);
        fixed (byte* k = key)
        fixed (byte* iv = ZeroIv)
        {
            if (LibCrypto.EVP_CipherInit_ex(_context, LibCrypto.EVP_aes_128_cbc(), IntPtr.Zero, k, iv, encrypt ? 1 : 0) != 1 ||
                LibCrypto.EVP_CIPHER_CTX_set_padding(_context, 0) != 1)
            {
                _context.Dispose();
                throw new CryptographicException("OpenSSL EVP_CipherInit_ex failed");
            }
        }
    }

    /// <summary>
    /// Transforms whole blocks from a fresh zero IV. <paramref name="output"/> may be exactly
    /// <paramref name="input"/> (in place) but must not partially overlap it.
    /// </summary>
    public unsafe void Transform(ReadOnlySpan<byte> input, Span<byte> output)
    {
        if ((input.Length & 15) != 0 || output.Length < input.Length)
        {
            throw new ArgumentException("whole blocks into a large enough output");
        }
        fixed (byte* iv = ZeroIv)
        fixed (byte* source = input)
        fixed (byte* destination = output)
        {
            // Re-arm the IV only (cipher and key stay): RFC 7425 §4.7.1 zero IV per packet.
            if (LibCrypto.EVP_CipherInit_ex(_context, IntPtr.Zero, IntPtr.Zero, null, iv, -1) != 1 ||
                LibCrypto.EVP_CipherUpdate(_context, destination, out int written, source, input.Length) != 1 ||
                written != input.Length)
            {
                throw new CryptographicException("OpenSSL AES-CBC failed");
            }
        }
    }

    public void Dispose() => _context.Dispose();
}
