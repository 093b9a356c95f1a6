using System.Globalization;
using System.Text.RegularExpressions;

namespace Rtmfp.Integration.Tests.Support;

/// <summary>One scrape of a Prometheus text exposition: every sample with its labels.</summary>
public sealed partial class PrometheusScrape
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    private PrometheusScrape(List<Sample> samples) => Samples = samples;

    public IReadOnlyList<Sample> Samples { get; }

    /// <summary>Metric names that have at least one sample.</summary>
    public IReadOnlySet<string> Names => Samples.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);

    public static async Task<PrometheusScrape> FetchAsync(Uri uri, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        return Parse(await http.GetStringAsync(uri, ct));
    }

    public static PrometheusScrape Parse(string text)
    {
        var samples = new List<Sample>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            var m = SampleLine().Match(line);
            if (!m.Success)
            {
                throw new FormatException($"not a Prometheus sample: {line}");
            }
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match l in Label().Matches(m.Groups["labels"].Value))
            {
                labels[l.Groups[1].Value] = l.Groups[2].Value.Replace("\\\"", "\"").Replace("\\\\", "\\");
            }
            string value = m.Groups["value"].Value;
            double v = value switch { "+Inf" => double.PositiveInfinity, "-Inf" => double.NegativeInfinity, "NaN" => double.NaN, _ => double.Parse(value, CultureInfo.InvariantCulture) };
            samples.Add(new Sample(m.Groups["name"].Value, labels, v));
        }
        return new PrometheusScrape(samples);
    }

    /// <summary>The sum over the samples of <paramref name="name"/> whose labels include every pair given.</summary>
    public double Value(string name, params (string Label, string Value)[] match) =>
        Samples.Where(s => s.Name == name && match.All(p => s.Labels.TryGetValue(p.Label, out var v) && v == p.Value)).Sum(s => s.Value);

    public bool Has(string name, params (string Label, string Value)[] match) =>
        Samples.Any(s => s.Name == name && match.All(p => s.Labels.TryGetValue(p.Label, out var v) && v == p.Value));

    /// <summary>
    /// Whether an OpenTelemetry instrument named <paramref name="otelName"/> is exported: its Prometheus family is the
    /// name with underscores, then the unit (bytes, seconds) and the counter's _total or a histogram's series.
    /// </summary>
    public bool Exports(string otelName)
    {
        string stem = otelName.Replace('.', '_');
        return Samples.Any(s => s.Name == stem || (s.Name.StartsWith(stem + "_", StringComparison.Ordinal) && Suffixes.Contains(s.Name[(stem.Length + 1)..])));
    }

    private static readonly HashSet<string> Suffixes =
    [
        "total", "bytes", "bytes_total", "seconds", "seconds_total", "bucket", "count", "sum",
        "seconds_bucket", "seconds_count", "seconds_sum", "bytes_bucket", "bytes_count", "bytes_sum", "ratio",
    ];

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\d+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex Label();
}
