using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Akka.Actor;
using Akka.Persistence;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>
/// rtmfp.persistence.writes and .write.duration: a journal write that lands counts under journal_write without
/// error.type, one that Redis refuses counts with the exception's type; both are timed. The meter is process-wide
/// and other tests write in parallel, so the counts are checked as lower bounds.
/// </summary>
public sealed class PersistenceMetricsTests : RedisPersistenceSpec
{
    [Fact]
    public void Journal_writes_are_counted_by_outcome_and_timed()
    {
        var counts = new ConcurrentDictionary<string, long>();
        long durations = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PersistenceMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string key = string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}").Order());
            counts.AddOrUpdate(key, value, (_, v) => v + value);
        });
        listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            Assert.InRange(value, 0, 60);
            Interlocked.Increment(ref durations);
        });
        listener.Start();

        Journal.Tell(new WriteMessages([new AtomicWrite(Event("m-1", 1, "metrics-ok"))], TestActor, 1));
        ExpectMsg<WriteMessagesSuccessful>();
        ExpectMsg<WriteMessageSuccess>();
        RedisTestServer.Database().StringSet($"{KeyPrefix}journal:persisted:metrics-broken", "not a sorted set");
        Journal.Tell(new WriteMessages([new AtomicWrite(Event("m-2", 1, "metrics-broken"))], TestActor, 1));
        ExpectMsg<WriteMessagesFailed>();

        Assert.True(counts.GetValueOrDefault("db.operation.name=journal_write") >= 1, string.Join("; ", counts));
        Assert.Contains(counts.Keys, k => k.StartsWith("db.operation.name=journal_write,error.type=StackExchange.Redis.", StringComparison.Ordinal));
        Assert.True(Interlocked.Read(ref durations) >= 2);
    }
}
