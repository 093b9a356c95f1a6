using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Rtmfp.Shared.Amf;

/// <summary>Big-endian primitives written into an <see cref="IBufferWriter{T}"/> (no intermediate buffers).</summary>
internal static class AmfOutput
{
    /// <summary>Both writers stop a value graph deeper than their limit: it is cyclic or built to exhaust the stack.</summary>
    public static void ThrowIfTooDeep(int depth, int maxDepth)
    {
        if (depth > maxDepth)
        {
            throw new InvalidOperationException("AMF value nested too deeply (cyclic graph?)");
        }
    }

    public static void Byte(IBufferWriter<byte> output, byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    public static void UInt16(IBufferWriter<byte> output, ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(output.GetSpan(2), value);
        output.Advance(2);
    }

    public static void UInt32(IBufferWriter<byte> output, uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    public static void Double(IBufferWriter<byte> output, double value)
    {
        BinaryPrimitives.WriteDoubleBigEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    public static void Bytes(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0)
        {
            return;
        }
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }

    /// <summary>UTF-8 bytes of <paramref name="text"/>, without a length prefix.</summary>
    public static void Utf8(IBufferWriter<byte> output, string text, int byteCount)
    {
        if (byteCount == 0)
        {
            return;
        }
        int written = Encoding.UTF8.GetBytes(text, output.GetSpan(byteCount));
        output.Advance(written);
    }

    /// <summary>AMF3 U29 (AMF3 §1.3.1): three 7-bit groups then 8 bits. Callers pass 0 ≤ value ≤ 2^29−1.</summary>
    public static void U29(IBufferWriter<byte> output, int value)
    {
        uint v = (uint)value & 0x1FFFFFFF;
        var span = output.GetSpan(4);
        int n;
        if (v < 0x80)
        {
            span[0] = (byte)v;
            n = 1;
        }
        else if (v < 0x4000)
        {
            span[0] = (byte)((v >> 7) | 0x80);
            span[1] = (byte)(v & 0x7F);
            n = 2;
        }
        else if (v < 0x200000)
        {
            span[0] = (byte)((v >> 14) | 0x80);
            span[1] = (byte)(((v >> 7) & 0x7F) | 0x80);
            span[2] = (byte)(v & 0x7F);
            n = 3;
        }
        else
        {
            span[0] = (byte)((v >> 22) | 0x80);
            span[1] = (byte)(((v >> 15) & 0x7F) | 0x80);
            span[2] = (byte)(((v >> 8) & 0x7F) | 0x80);
            span[3] = (byte)(v & 0xFF);
            n = 4;
        }
        output.Advance(n);
    }
}
