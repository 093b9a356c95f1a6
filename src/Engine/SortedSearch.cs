using System.Runtime.InteropServices;

namespace Rtmfp.Engine;

/// <summary>The 64-bit sequence key a list of <typeparamref name="T"/> is kept ascending by.</summary>
internal interface ISequenceKey<T>
{
    static abstract ulong Of(in T item);
}

/// <summary>Binary search over the engine's sorted lists (reassembly queue, SEQUENCE_SET ranges).</summary>
internal static class SortedSearch
{
    /// <summary>
    /// The first index in [<paramref name="start"/>, Count) whose key is ≥ <paramref name="key"/>, or Count. A struct
    /// <typeparamref name="TKey"/> makes the key read a direct, inlinable call: no delegate, no allocation.
    /// </summary>
    public static int LowerBound<T, TKey>(List<T> items, int start, ulong key)
        where TKey : struct, ISequenceKey<T>
    {
        var span = CollectionsMarshal.AsSpan(items);
        int lo = start;
        int hi = span.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (TKey.Of(in span[mid]) < key)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }
}
