using System.Buffers.Binary;

namespace Rtmfp.Shared.Crypto;

/// <summary>RFC 7425 §4.7.3.1 simple checksum = the Internet checksum of RFC 1071.</summary>
public static class InternetChecksum
{
    /// <summary>
    /// Ones' complement of the ones' complement sum of the big-endian 16-bit words. An odd last
    /// byte is the LOW 8 bits of a word whose high bits are 0 (RFC 7425 §4.7.3.1, not RFC 1071's
    /// usual zero-padding on the right).
    /// </summary>
    public static ushort Compute(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        int i = 0;
        int even = data.Length & ~1;
        for (; i + 8 <= even; i += 8)
        {
            ulong w = BinaryPrimitives.ReadUInt64BigEndian(data[i..]);
            sum += (w >> 48) + ((w >> 32) & 0xFFFF) + ((w >> 16) & 0xFFFF) + (w & 0xFFFF);
        }
        for (; i < even; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }
        if ((data.Length & 1) != 0)
        {
            sum += data[^1];
        }
        while ((sum >> 16) != 0)
        {
            sum = (sum >> 16) + (sum & 0xFFFF);
        }
        return (ushort)~sum;
    }
}
