using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Gateway.Tests.Support;

/// <summary>
/// Sums one <see cref="RtmfpMetrics"/>' counters and histogram samples as they are recorded: "name" for the total,
/// "name{value}" per value of its one tag (error.type, direction). Other instances in the process are not counted.
/// </summary>
internal sealed class Counters : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _totals = new();

    public Counters(RtmfpMetrics metrics)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument.Name, value, tags));
        // A histogram sample counts one.
        _listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) => Add(instrument.Name, 1, tags));
        _listener.Start();
    }

    private void Add(string name, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        _totals.AddOrUpdate(name, value, (_, v) => v + value);
        if (tags.Length == 1)
        {
            _totals.AddOrUpdate($"{name}{{{tags[0].Value}}}", value, (_, v) => v + value);
        }
    }

    public long this[string name] => _totals.TryGetValue(name, out long v) ? v : 0;

    public void Dispose() => _listener.Dispose();
}

/// <summary>Records every log event (ID, level, message) for tests that pin what an operator is told.</summary>
internal sealed class ListLogger : ILogger
{
    private readonly ConcurrentQueue<(int Id, LogLevel Level, string Message)> _events = new();

    public IReadOnlyCollection<(int Id, LogLevel Level, string Message)> Events => _events;

    public int Count(int eventId) => _events.Count(e => e.Id == eventId);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _events.Enqueue((eventId.Id, logLevel, formatter(state, exception)));
}
