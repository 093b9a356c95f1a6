using Rtmfp.Cluster;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Integration.Tests.Support;

/// <summary>
/// Sums one node's "Rtmfp" counters as they are recorded (tests run several nodes in one process): "name" for the total,
/// "name{value}" per value of its one tag (direction, error.type); a histogram sample counts one. Linked into the
/// gateway and fuzz test projects as well.
/// </summary>
public sealed class MetricCollector : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _totals = new();
    private readonly ConcurrentDictionary<string, long> _peaks = new();

    public MetricCollector(RtmfpMetrics node)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, node.Meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            long total = _totals.AddOrUpdate(instrument.Name, value, (_, v) => v + value);
            _peaks.AddOrUpdate(instrument.Name, total, (_, peak) => Math.Max(peak, total));
            // One attribute (direction, error.type): also "rtmfp.gateway.io{receive}".
            if (tags.Length == 1)
            {
                _totals.AddOrUpdate($"{instrument.Name}{{{tags[0].Value}}}", value, (_, v) => v + value);
            }
        });
        _listener.SetMeasurementEventCallback<double>((instrument, _, _, _) => _totals.AddOrUpdate(instrument.Name, 1, (_, v) => v + 1));
        _listener.Start();
    }

    public long this[string name] => _totals.TryGetValue(name, out long v) ? v : 0;

    /// <summary>The highest running sum of an instrument since the collector started (an up-down counter's peak above its start).</summary>
    public long Peak(string name) => _peaks.TryGetValue(name, out long v) ? v : 0;

    public void Dispose() => _listener.Dispose();
}
