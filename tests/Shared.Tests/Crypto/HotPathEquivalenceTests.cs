using System.Buffers.Binary;
using System.Security.Cryptography;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Shared.Tests.Crypto;

/// <summary>The optimised hot-path primitives against straightforward reference implementations.</summary>
public class HotPathEquivalenceTests
{
    private static ushort ReferenceChecksum(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }
        if (i < data.Length)
        {
            sum += data[i]; // RFC 7425 §4.7.3.1: an odd last byte is the low 8 bits
        }
        while ((sum >> 16) != 0)
        {
            sum = (sum >> 16) + (sum & 0xFFFF);
        }
        return (ushort)~sum;
    }

    [Fact]
    public void Vectorised_checksum_equals_the_word_by_word_sum()
    {
        var random = new Random(5);
        var data = new byte[1500];
        for (int round = 0; round < 3000; round++)
        {
            int length = random.Next(data.Length + 1);
            int pick = random.Next(4);
            for (int i = 0; i < length; i++)
            {
                data[i] = pick switch { 0 => 0xFF, 1 => 0x00, _ => (byte)random.Next(256) };
            }
            int offset = random.Next(Math.Max(1, Math.Min(7, length)));
            var span = data.AsSpan(offset, length - offset);
            Assert.Equal(ReferenceChecksum(span), InternetChecksum.Compute(span));
        }
    }

    [Fact]
    public void Every_packet_of_a_context_is_encrypted_and_decrypted_from_a_zero_iv()
    {
        using var context = SessionCryptoContext.CreateDefault();
        using var reference = Aes.Create();
        reference.Key = DefaultSessionKey.Key.ToArray();
        var random = new Random(9);
        for (int i = 0; i < 50; i++)
        {
            var plain = new byte[1 + random.Next(1300)];
            random.NextBytes(plain);
            var encrypted = new byte[context.GetEncryptedLength(plain.Length)];
            int length = context.Encrypt(plain, encrypted);
            var decrypted = reference.DecryptCbc(encrypted.AsSpan(0, length), new byte[16], PaddingMode.None);
            Assert.Equal(plain, decrypted.AsSpan(2, plain.Length).ToArray());
            // And the other direction: a reference ciphertext opens under the (chaining) decrypt side.
            var cipher = reference.EncryptCbc(decrypted, new byte[16], PaddingMode.None);
            var opened = new byte[cipher.Length];
            Assert.True(context.TryDecrypt(cipher, opened, out int offset, out int plainLength));
            Assert.Equal(decrypted.AsSpan(offset, plainLength).ToArray(), opened.AsSpan(offset, plainLength).ToArray());
            // In place too.
            Assert.True(context.TryDecrypt(cipher, cipher, out offset, out plainLength));
            Assert.Equal(plain, cipher.AsSpan(offset, plain.Length).ToArray());
        }
    }
}
