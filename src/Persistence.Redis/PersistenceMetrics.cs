using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Rtmfp.Persistence.Redis;

/// <summary>
/// Writes to Redis (meter "Rtmfp.Persistence"): <c>rtmfp.persistence.writes</c> by <c>db.operation.name</c>
/// (<c>journal_write</c>, <c>snapshot_save</c>) with <c>error.type</c> on a failed one, and
/// <c>rtmfp.persistence.write.duration</c> in seconds (retries included, as the persisting actor waits for them).
/// Akka creates the journal and snapshot store from configuration, not from the node's services, so the meter is
/// process-wide; one node per process in production.
/// </summary>
public static class PersistenceMetrics
{
    public const string MeterName = "Rtmfp.Persistence";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Writes = Meter.CreateCounter<long>("rtmfp.persistence.writes", "{write}", "Journal writes and snapshot saves to Redis, by db.operation.name; error.type when one failed");
    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("rtmfp.persistence.write.duration", "s", "Time of a journal write or snapshot save, retries included",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10] });

    internal static readonly KeyValuePair<string, object?> JournalWrite = new("db.operation.name", "journal_write");
    internal static readonly KeyValuePair<string, object?> SnapshotSave = new("db.operation.name", "snapshot_save");

    /// <summary>Adds 0 to every series so an exporter shows them before the first write (call once a listener is there).</summary>
    public static void Publish()
    {
        Writes.Add(0, JournalWrite);
        Writes.Add(0, SnapshotSave);
    }

    /// <summary>Times <paramref name="write"/> and counts it, with the exception's type as error.type when it throws.</summary>
    internal static async Task<T> Measure<T>(KeyValuePair<string, object?> operation, Func<Task<T>> write)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            var result = await write().ConfigureAwait(false);
            Writes.Add(1, operation);
            return result;
        }
        catch (Exception e)
        {
            Writes.Add(1, operation, new KeyValuePair<string, object?>("error.type", e.GetType().FullName));
            throw;
        }
        finally
        {
            Duration.Record(Stopwatch.GetElapsedTime(start).TotalSeconds, operation);
        }
    }
}
