using System.Runtime.Intrinsics;
using System.Security.Cryptography;

namespace Rtmfp.Shared.Crypto;

/// <summary>
/// AES-128-CBC with a zero IV for every packet and no padding (RFC 7425 §4.7.1), one direction.
/// Wraps a reusable OpenSSL EVP_CIPHER_CTX: unlike Aes.EncryptCbc (a new native context and 64
/// managed bytes per call) this allocates nothing per packet. Not thread-safe.
/// <para>
/// The context is never re-armed (an EVP_CipherInit_ex per packet cost more than decrypting 1 KB):
/// CBC keeps chaining from the previous packet's last cipher block, and the first block is corrected
/// instead — XORed with that block before encryption, after decryption — which equals a zero IV.
/// </para>
/// </summary>
internal sealed class AesCbcCipher : IDisposable
{
    private static ReadOnlySpan<byte> ZeroIv => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    private readonly SafeCipherContextHandle _context;
    private readonly bool _encrypt;
    // The context's chaining value: the last cipher block it processed (zero after init).
    private Vector128<byte> _chain;

    public unsafe AesCbcCipher(ReadOnlySpan<byte> key, bool encrypt)
    {
        if (key.Length != 16)
        {
            throw new ArgumentException("AES-128 key must be 16 bytes", nameof(key));
        }
        _encrypt = encrypt;
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
        if (input.IsEmpty)
        {
            return;
        }
        int length = input.Length;
        if (_encrypt)
        {
            // E(P0 ^ chain ^ chain) = E(P0): the zero-IV first block.
            if (!input.Overlaps(output))
            {
                input.CopyTo(output);
            }
            (Vector128.Create<byte>(output) ^ _chain).CopyTo(output);
            Update(output, output, length);
            _chain = Vector128.Create<byte>(output.Slice(length - 16, 16));
        }
        else
        {
            var last = Vector128.Create<byte>(input.Slice(length - 16, 16)); // before an in-place decrypt overwrites it
            Update(input, output, length);
            (Vector128.Create<byte>(output) ^ _chain).CopyTo(output);
            _chain = last;
        }
    }

    private unsafe void Update(ReadOnlySpan<byte> input, Span<byte> output, int length)
    {
        fixed (byte* source = input)
        fixed (byte* destination = output)
        {
            if (LibCrypto.EVP_CipherUpdate(_context, destination, out int written, source, length) != 1 || written != length)
            {
                throw new CryptographicException("OpenSSL AES-CBC failed");
            }
        }
    }

    public void Dispose() => _context.Dispose();
}
