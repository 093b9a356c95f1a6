using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Groups;

/// <summary>
/// A fragments map, <c>22 VLU last | bitmap</c> (docs/groups.md §6.5): the sender holds fragment <c>last</c>, and
/// bit r (least significant first) of byte k says whether it holds fragment <c>last − 1 − 8k − r</c>.
/// </summary>
public static class FragmentsMap
{
    /// <summary>Longest bitmap written or kept (8,192 fragments back; librtmfp's bound).</summary>
    public const int MaxBitmapLength = 1024;

    public static byte[] Write(ulong last, ReadOnlySpan<byte> bitmap)
    {
        var message = new byte[1 + Vlu.GetLength(last) + bitmap.Length];
        message[0] = (byte)GroupMessageType.FragmentsMap;
        int used = Vlu.Write(message.AsSpan(1), last);
        bitmap.CopyTo(message.AsSpan(1 + used));
        return message;
    }

    /// <summary>Reads a map; the bitmap is cut to <see cref="MaxBitmapLength"/>.</summary>
    public static bool TryRead(ReadOnlySpan<byte> message, out ulong last, out ReadOnlySpan<byte> bitmap)
    {
        bitmap = default;
        last = 0;
        if (message.Length < 2 || message[0] != (byte)GroupMessageType.FragmentsMap || !Vlu.TryRead(message[1..], out last, out int used) || last == 0)
        {
            return false;
        }
        bitmap = message[(1 + used)..];
        if (bitmap.Length > MaxBitmapLength)
        {
            bitmap = bitmap[..MaxBitmapLength];
        }
        return true;
    }

    /// <summary>Whether a map with this <paramref name="last"/> and <paramref name="bitmap"/> announces <paramref name="id"/>.</summary>
    public static bool Contains(ulong last, ReadOnlySpan<byte> bitmap, ulong id)
    {
        if (id == last)
        {
            return true;
        }
        if (id > last || id == 0)
        {
            return false;
        }
        ulong back = last - 1 - id;
        ulong k = back / 8;
        return k < (ulong)bitmap.Length && (bitmap[(int)k] & (1 << (int)(back % 8))) != 0;
    }

    /// <summary>The oldest fragment the map announces.</summary>
    public static ulong Oldest(ulong last, ReadOnlySpan<byte> bitmap)
    {
        for (int k = bitmap.Length - 1; k >= 0; k--)
        {
            if (bitmap[k] == 0)
            {
                continue;
            }
            for (int r = 7; r >= 0; r--)
            {
                ulong back = (ulong)(8 * k + r) + 1;
                if ((bitmap[k] & (1 << r)) != 0 && back < last)
                {
                    return last - back;
                }
            }
        }
        return last;
    }
}
