using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
        int even = data.Length & ~1;
        // RFC 1071 §2(B): the sum is byte-order independent up to a final swap, so add native words (wide, vectorised).
        ushort nativeSum = Fold(SumNativeWords(data[..even]));
        ulong sum = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(nativeSum) : nativeSum;
        if ((data.Length & 1) != 0)
        {
            sum += data[^1];
        }
        return (ushort)~Fold(sum);
    }

    private static ushort Fold(ulong sum)
    {
        while ((sum >> 16) != 0)
        {
            sum = (sum >> 16) + (sum & 0xFFFF);
        }
        return (ushort)sum;
    }

    /// <summary>Sum of 32-bit native words (≡ the sum of their 16-bit halves mod 0xFFFF, as 2^16 ≡ 1); length is even.</summary>
    private static ulong SumNativeWords(ReadOnlySpan<byte> data)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        nuint length = (nuint)data.Length;
        nuint i = 0;
        ulong sum = 0;
        if (Vector256.IsHardwareAccelerated && length >= 32)
        {
            var acc0 = Vector256<ulong>.Zero;
            var acc1 = Vector256<ulong>.Zero;
            for (; i + 32 <= length; i += 32)
            {
                var (lower, upper) = Vector256.Widen(Vector256.LoadUnsafe(ref start, i).AsUInt32());
                acc0 += lower;
                acc1 += upper;
            }
            sum = Vector256.Sum(acc0) + Vector256.Sum(acc1);
        }
        for (; i + 4 <= length; i += 4)
        {
            sum += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i));
        }
        if (i < length)
        {
            sum += Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref start, i));
        }
        return sum;
    }
}
