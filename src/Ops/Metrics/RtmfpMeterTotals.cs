using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Ops.Metrics;

/// <summary>
/// Running totals of this node's "Rtmfp" counters, kept by a MeterListener. It listens to the
/// instruments of this node's <see cref="RtmfpMetrics"/> instance only (matched by Meter), so
/// several nodes in one process (tests) do not add up each other's counts.
/// </summary>
internal sealed class RtmfpMeterTotals : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _totals = new(StringComparer.Ordinal);
    private readonly RtmfpMetrics _metrics;

    public RtmfpMeterTotals(RtmfpMetrics metrics)
    {
        _metrics = metrics;
        var meter = metrics.Meter;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter) && instrument is Counter<long> or UpDownCounter<long>)
            {
                _totals.TryAdd(instrument.Name, 0);
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            _totals.AddOrUpdate(instrument.Name, value, (_, v) => v + value);
            // Per attribute value too (direction, error.type): "rtmfp.gateway.packets.dropped{malformed}".
            if (tags.Length == 1)
            {
                _totals.AddOrUpdate($"{instrument.Name}{{{tags[0].Value}}}", value, (_, v) => v + value);
            }
        });
        _listener.Start();
    }

    /// <summary>Counter totals since this node started, plus the open-session gauge.</summary>
    public IReadOnlyDictionary<string, long> Snapshot()
    {
        var result = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, value) in _totals)
        {
            result[name] = value;
        }
        result["rtmfp.session.open"] = _metrics.OpenSessions;
        return result;
    }

    public void Dispose() => _listener.Dispose();
}
