using Rtmfp.Client.Diagnostics;

namespace Rtmfp.Client.Tests;

public class LatencyStatisticsTests
{
    [Fact]
    public void Nearest_rank_percentiles_of_one_to_a_hundred()
    {
        var stats = new LatencyStatistics();
        var random = new Random(7);
        foreach (int v in Enumerable.Range(1, 100).OrderBy(_ => random.Next()))
        {
            stats.Add(v);
        }
        var s = stats.Summarize();
        Assert.Equal(100, s.Count);
        Assert.Equal(50, s.P50);
        Assert.Equal(90, s.P90);
        Assert.Equal(99, s.P99);
        Assert.Equal(100, s.Max);
        Assert.Equal(50.5, s.Mean, 9);
    }

    [Fact]
    public void Small_sets_round_the_rank_up()
    {
        double[] sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        Assert.Equal(5, LatencyStatistics.Percentile(sorted, 50));
        Assert.Equal(9, LatencyStatistics.Percentile(sorted, 90));
        Assert.Equal(10, LatencyStatistics.Percentile(sorted, 99));
        Assert.Equal(1, LatencyStatistics.Percentile(sorted, 0.1));
        Assert.Equal(10, LatencyStatistics.Percentile(sorted, 100));
        Assert.Equal(3.5, LatencyStatistics.Percentile([3.5], 50));
        var one = LatencyStatistics.Summarize([2.5]);
        Assert.Equal(new LatencySummary(1, 2.5, 2.5, 2.5, 2.5, 2.5), one);
    }

    [Fact]
    public void Skewed_samples_show_in_the_tail_only()
    {
        var samples = Enumerable.Repeat(1.0, 980).Concat(Enumerable.Repeat(50.0, 20)).ToArray();
        var s = LatencyStatistics.Summarize(samples);
        Assert.Equal(1, s.P50);
        Assert.Equal(1, s.P90);
        Assert.Equal(50, s.P99);
        Assert.Equal(50, s.Max);
    }

    [Fact]
    public void Empty_and_invalid_input()
    {
        Assert.Equal(LatencySummary.Empty, new LatencyStatistics().Summarize());
        Assert.Throws<ArgumentException>(() => LatencyStatistics.Percentile([], 50));
        Assert.Throws<ArgumentOutOfRangeException>(() => LatencyStatistics.Percentile([1], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LatencyStatistics.Percentile([1], 100.5));
        Assert.Throws<ArgumentException>(() => new LatencyStatistics().Add(double.NaN));
    }

    [Fact(Timeout = 60_000)]
    public async Task Concurrent_adds_are_all_counted()
    {
        var stats = new LatencyStatistics();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                stats.Add(t * 10_000 + i);
            }
        }, TestContext.Current.CancellationToken)));
        var s = stats.Summarize();
        Assert.Equal(40_000, s.Count);
        Assert.Equal(39_999, s.Max);
        Assert.Equal(19_999, s.P50);
    }
}
