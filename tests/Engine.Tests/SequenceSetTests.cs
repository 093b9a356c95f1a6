using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine.Tests;

public class SequenceSetTests
{
    [Fact]
    public void Merges_ranges_and_computes_csn()
    {
        var s = new SequenceSet();
        s.Add(0, 3);
        s.Add(5);
        s.Add(6);
        Assert.True(s.TryGetCsn(out ulong csn));
        Assert.Equal(3UL, csn);
        Assert.True(s.HasGaps);
        Assert.Equal(2, s.RangeCount);
        s.Add(4);
        Assert.Equal(1, s.RangeCount);
        Assert.True(s.TryGetCsn(out csn));
        Assert.Equal(6UL, csn);
        Assert.False(s.HasGaps);
        s.Add(10, 12);
        s.Add(20);
        s.Add(8, 21);
        Assert.Equal(2, s.RangeCount);
        Assert.Equal(new SequenceRange(8, 21), s[1]);
        Assert.True(s.Contains(15));
        Assert.False(s.Contains(7));
        Assert.True(s.ContainsAll(9, 21));
        Assert.False(s.ContainsAll(6, 9));
    }

    [Fact]
    public void Random_inserts_match_a_reference_set()
    {
        var rng = new Random(7);
        var s = new SequenceSet(10_000);
        var reference = new SortedSet<ulong>();
        for (int i = 0; i < 3000; i++)
        {
            ulong a = (ulong)rng.Next(0, 500);
            ulong b = a + (ulong)rng.Next(0, 3);
            s.Add(a, b);
            for (ulong x = a; x <= b; x++)
            {
                reference.Add(x);
            }
        }
        for (ulong x = 0; x < 510; x++)
        {
            Assert.Equal(reference.Contains(x), s.Contains(x));
        }
        for (int i = 1; i < s.RangeCount; i++)
        {
            Assert.True(s[i].Start > s[i - 1].End + 1);
        }
    }

    [Fact]
    public void Range_count_is_bounded()
    {
        var s = new SequenceSet(maxRanges: 3);
        Assert.True(s.Add(0));
        Assert.True(s.Add(2));
        Assert.True(s.Add(4));
        Assert.False(s.Add(6));
        Assert.True(s.Add(1)); // merging is always allowed
        Assert.False(s.Contains(6));
    }
}
