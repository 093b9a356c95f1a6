using System.Buffers;
using System.Text;
using Rtmfp.Shared.Amf;

namespace Rtmfp.Shared.Tests.Amf;

/// <summary>Parses the doc's hex notation: space-separated pairs and "quoted" ASCII.</summary>
internal static class TestHex
{
    public static byte[] H(string notation)
    {
        var bytes = new List<byte>();
        int i = 0;
        while (i < notation.Length)
        {
            char c = notation[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '"')
            {
                int end = notation.IndexOf('"', i + 1);
                bytes.AddRange(Encoding.UTF8.GetBytes(notation[(i + 1)..end]));
                i = end + 1;
            }
            else
            {
                bytes.Add(Convert.ToByte(notation.Substring(i, 2), 16));
                i += 2;
            }
        }
        return [.. bytes];
    }

    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    public static AmfValue ReadAmf0(byte[] bytes, AmfReader? reader = null)
    {
        reader ??= new AmfReader();
        reader.Reset();
        int p = 0;
        Assert.True(reader.TryReadAmf0(bytes, ref p, out var v), $"decode failed: {reader.Error} at {reader.ErrorOffset}");
        Assert.Equal(bytes.Length, p);
        return v;
    }

    public static AmfValue ReadAmf3(byte[] bytes, AmfReader? reader = null)
    {
        reader ??= new AmfReader();
        reader.Reset();
        int p = 0;
        Assert.True(reader.TryReadAmf3(bytes, ref p, out var v), $"decode failed: {reader.Error} at {reader.ErrorOffset}");
        Assert.Equal(bytes.Length, p);
        return v;
    }

    public static byte[] WriteAmf0(AmfValue value, bool references = false)
    {
        var buffer = new ArrayBufferWriter<byte>();
        new Amf0Writer { UseReferences = references }.Write(buffer, value);
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] WriteAmf3(AmfValue value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        new Amf3Writer().Write(buffer, value);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Asserts a read fails with <paramref name="expected"/> and leaves the offset alone.</summary>
    public static void AssertFails(byte[] bytes, AmfError expected, bool amf3 = false, AmfLimits? limits = null)
    {
        var reader = new AmfReader(limits);
        int p = 0;
        bool ok = amf3 ? reader.TryReadAmf3(bytes, ref p, out var v) : reader.TryReadAmf0(bytes, ref p, out v);
        Assert.False(ok, $"unexpectedly decoded {v}");
        Assert.Null(v);
        Assert.Equal(0, p);
        Assert.Equal(expected, reader.Error);
    }
}
