namespace Rtmfp.Shared.Wire;

/// <summary>
/// RFC 7016 §2.1.2 Variable Length Unsigned integer: big-endian base 128, high bit = more bytes follow.
/// Values up to 64 bits are supported; longer encodings are rejected as overflow.
/// </summary>
public static class Vlu
{
    /// <summary>Longest encoding of a 64-bit value (ceil(64 / 7)).</summary>
    public const int MaxLength = 10;

    /// <summary>Decodes a VLU at the start of <paramref name="source"/>. Rejects truncation and values over 64 bits.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out ulong value, out int consumed)
    {
        ulong acc = 0;
        for (int i = 0; i < source.Length; i++)
        {
            byte b = source[i];
            // Overflow: another 7 bits would not fit into 64.
            if ((acc >> 57) != 0)
            {
                break;
            }
            acc = (acc << 7) | (uint)(b & 0x7F);
            if ((b & 0x80) == 0)
            {
                value = acc;
                consumed = i + 1;
                return true;
            }
        }
        value = 0;
        consumed = 0;
        return false;
    }

    /// <summary>A VLU that is the whole of <paramref name="source"/>, as in an option whose value is one number.</summary>
    public static bool TryReadExact(ReadOnlySpan<byte> source, out ulong value) =>
        TryRead(source, out value, out int consumed) && consumed == source.Length;

    /// <summary>Number of bytes <see cref="Write"/> uses for <paramref name="value"/>.</summary>
    public static int GetLength(ulong value)
    {
        int n = 1;
        while ((value >>= 7) != 0)
        {
            n++;
        }
        return n;
    }

    /// <summary>
    /// Size of a field of <paramref name="length"/> bytes behind its VLU length (RFC 7016 §2.1.2), as
    /// <see cref="WireWriter.WriteVluPrefixedBytes"/> writes it: cookies, tags, certificates, option bodies.
    /// </summary>
    public static int GetPrefixedLength(int length) => GetLength((ulong)length) + length;

    /// <summary>Writes <paramref name="value"/> and returns the bytes written; throws if the span is too small (caller bug).</summary>
    public static int Write(Span<byte> destination, ulong value)
    {
        int len = GetLength(value);
        if (destination.Length < len)
        {
            throw new ArgumentException("destination too small for VLU", nameof(destination));
        }
        for (int i = len - 1; i >= 0; i--)
        {
            byte b = (byte)(value & 0x7F);
            if (i != len - 1)
            {
                b |= 0x80;
            }
            destination[i] = b;
            value >>= 7;
        }
        return len;
    }
}
