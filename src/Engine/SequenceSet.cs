using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine;

/// <summary>
/// A receiving flow's SEQUENCE_SET (RFC 7016 §3.6.3): every sequence number seen or abandoned, kept as
/// sorted disjoint non-adjacent ranges. The number of ranges is bounded so a hostile sender cannot
/// grow it without limit; a number that would need a range beyond the bound is refused (not recorded,
/// so not acknowledged, and the sender retransmits it later).
/// </summary>
internal sealed class SequenceSet
{
    public const int DefaultMaxRanges = 1024;

    private readonly List<SequenceRange> _ranges = new();
    private readonly int _maxRanges;

    public SequenceSet(int maxRanges = DefaultMaxRanges)
    {
        _maxRanges = maxRanges;
    }

    public int RangeCount => _ranges.Count;
    public bool IsEmpty => _ranges.Count == 0;

    public SequenceRange this[int index] => _ranges[index];

    /// <summary>The ranges, ascending; valid until the next change.</summary>
    public ReadOnlySpan<SequenceRange> Ranges => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_ranges);

    /// <summary>Cumulative Acknowledgement Sequence Number: the end of the range starting at 0 (§3.6.3.3).</summary>
    public bool TryGetCsn(out ulong csn)
    {
        if (_ranges.Count > 0 && _ranges[0].Start == 0)
        {
            csn = _ranges[0].End;
            return true;
        }
        csn = 0;
        return false;
    }

    public ulong Highest => _ranges.Count == 0 ? 0 : _ranges[^1].End;

    /// <summary>True unless the set is exactly 0..highest (an empty set has no gaps).</summary>
    public bool HasGaps => _ranges.Count > 1 || (_ranges.Count == 1 && _ranges[0].Start != 0);

    public bool Contains(ulong sn)
    {
        int i = FindFirstEndingAtOrAfter(sn);
        return i < _ranges.Count && _ranges[i].Start <= sn;
    }

    /// <summary>True if every number in start..end is in the set.</summary>
    public bool ContainsAll(ulong start, ulong end)
    {
        int i = FindFirstEndingAtOrAfter(end);
        return i < _ranges.Count && _ranges[i].Start <= start;
    }

    public bool Add(ulong sn) => Add(sn, sn);

    /// <summary>Adds start..end (inclusive). False if refused because of the range bound.</summary>
    public bool Add(ulong start, ulong end)
    {
        if (end < start)
        {
            return true;
        }
        int n = _ranges.Count;
        // Fast path: extends or follows the last range (in-order arrival).
        if (n > 0)
        {
            var last = _ranges[n - 1];
            if (start >= last.Start && (last.End == ulong.MaxValue || start <= last.End + 1))
            {
                if (end > last.End)
                {
                    _ranges[n - 1] = last with { End = end };
                }
                return true;
            }
        }
        // Ranges [i..j) overlap or touch start..end.
        int i = FindFirstEndingAtOrAfter(start == 0 ? 0 : start - 1);
        int j = i;
        while (j < n && (end == ulong.MaxValue || _ranges[j].Start <= end + 1))
        {
            j++;
        }
        if (i == j)
        {
            if (n >= _maxRanges)
            {
                return false;
            }
            _ranges.Insert(i, new SequenceRange(start, end));
            return true;
        }
        ulong newStart = Math.Min(start, _ranges[i].Start);
        ulong newEnd = Math.Max(end, _ranges[j - 1].End);
        _ranges[i] = new SequenceRange(newStart, newEnd);
        if (j - i > 1)
        {
            _ranges.RemoveRange(i + 1, j - i - 1);
        }
        return true;
    }

    public void Clear() => _ranges.Clear();

    // Index of the first range whose End >= sn (binary search), or Count.
    private int FindFirstEndingAtOrAfter(ulong sn) => SortedSearch.LowerBound<SequenceRange, ByEnd>(_ranges, 0, sn);

    private readonly struct ByEnd : ISequenceKey<SequenceRange>
    {
        public static ulong Of(in SequenceRange item) => item.End;
    }
}
