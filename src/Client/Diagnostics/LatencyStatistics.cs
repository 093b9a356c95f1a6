namespace Rtmfp.Client.Diagnostics;

/// <summary>Percentiles of a set of samples (nearest-rank method: the smallest sample with at least p% at or below it).</summary>
public readonly record struct LatencySummary(int Count, double Mean, double P50, double P90, double P99, double Max)
{
    public static LatencySummary Empty => default;
}

/// <summary>Thread-safe sample collector for round-trip latencies (milliseconds).</summary>
public sealed class LatencyStatistics
{
    private readonly Lock _lock = new();
    private readonly List<double> _samples = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _samples.Count;
            }
        }
    }

    public void Add(double value)
    {
        if (double.IsNaN(value))
        {
            throw new ArgumentException("NaN is not a latency", nameof(value));
        }
        lock (_lock)
        {
            _samples.Add(value);
        }
    }

    public LatencySummary Summarize()
    {
        double[] copy;
        lock (_lock)
        {
            copy = _samples.ToArray();
        }
        return Summarize(copy);
    }

    /// <summary>Summary of <paramref name="samples"/> (sorted in place).</summary>
    public static LatencySummary Summarize(double[] samples)
    {
        if (samples.Length == 0)
        {
            return LatencySummary.Empty;
        }
        Array.Sort(samples);
        double sum = 0;
        foreach (double s in samples)
        {
            sum += s;
        }
        return new LatencySummary(samples.Length, sum / samples.Length, Percentile(samples, 50), Percentile(samples, 90),
            Percentile(samples, 99), samples[^1]);
    }

    /// <summary>Nearest-rank percentile of ascending <paramref name="sorted"/>; <paramref name="percent"/> in (0, 100].</summary>
    public static double Percentile(ReadOnlySpan<double> sorted, double percent)
    {
        if (sorted.IsEmpty)
        {
            throw new ArgumentException("no samples", nameof(sorted));
        }
        if (!(percent > 0 && percent <= 100))
        {
            throw new ArgumentOutOfRangeException(nameof(percent), "percentile must be in (0, 100]");
        }
        int rank = (int)Math.Ceiling(percent / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }
}
