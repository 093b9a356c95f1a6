using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Integration.Tests.Support;

/// <summary>Sums the node's "Rtmfp" counters as they are recorded (all nodes in this process).</summary>
public sealed class MetricCollector : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _totals = new();

    public MetricCollector()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == RtmfpMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => _totals.AddOrUpdate(instrument.Name, value, (_, v) => v + value));
        _listener.Start();
    }

    public long this[string name] => _totals.TryGetValue(name, out long v) ? v : 0;

    public void Dispose() => _listener.Dispose();
}
