using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.Journal;

namespace Rtmfp.Cluster.Persistence;

/// <summary>
/// The journal of a node without Redis (<c>Persistence:Provider = Memory</c>, the single-node default): events in the
/// process, per persistence ID, and gone when deleted. Akka's own in-memory journal is a test fixture: its deletes are
/// logical, so it keeps every event ever written (a session's two, about 1.7 KB, for every session a node ever served:
/// docs/benchmarks.md, "The in-memory journal kept every session"), and its immutable collections make each write
/// O(log n) in everything written so far.
/// <para>
/// Semantics are the journal contract the Redis journal also meets (JournalSpec): a delete keeps the highest sequence
/// number, so a live persistence ID never numbers from 1 again; <see cref="ForgetPersistenceId"/> is the explicit end
/// of an ID that will never write again (a closed session), after which nothing of it is kept.
/// </para>
/// </summary>
/// <remarks>
/// One writer per persistence ID (sharding gives it), events appended in ascending order. Replays can run on a pool
/// thread while the journal actor takes writes (AsyncWriteJournal continues a replay after its highest-sequence read),
/// so the table is under a lock that never spans a callback.
/// </remarks>
public sealed class InMemoryJournal : AsyncWriteJournal
{
    private static readonly Task<IImmutableList<Exception?>> AllWritten = Task.FromResult<IImmutableList<Exception?>>(null!);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Record> _records = new(StringComparer.Ordinal);

    private sealed class Record
    {
        // Ascending sequence numbers.
        public readonly List<IPersistentRepresentation> Events = new(2);
        public long Highest;
    }

    protected override Task<IImmutableList<Exception?>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages,
        CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            foreach (var write in messages)
            {
                if (!_records.TryGetValue(write.PersistenceId, out var record))
                {
                    record = new Record();
                    _records.Add(write.PersistenceId, record);
                }
                foreach (var representation in (IImmutableList<IPersistentRepresentation>)write.Payload)
                {
                    record.Events.Add(representation);
                }
                record.Highest = Math.Max(record.Highest, write.HighestSequenceNr);
            }
        }
        return AllWritten;
    }

    public override Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr,
        CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_records.TryGetValue(persistenceId, out var record) ? record.Highest : 0L);
        }
    }

    public override Task ReplayMessagesAsync(IActorContext context, string persistenceId, long fromSequenceNr,
        long toSequenceNr, long max, Action<IPersistentRepresentation> recoveryCallback)
    {
        List<IPersistentRepresentation>? replay = null;
        lock (_lock)
        {
            if (_records.TryGetValue(persistenceId, out var record))
            {
                foreach (var representation in record.Events)
                {
                    if (max <= 0 || representation.SequenceNr > toSequenceNr)
                    {
                        break;
                    }
                    if (representation.SequenceNr >= fromSequenceNr)
                    {
                        (replay ??= []).Add(representation);
                        max--;
                    }
                }
            }
        }
        if (replay is not null)
        {
            foreach (var representation in replay)
            {
                recoveryCallback(representation);
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>Removes the events through <paramref name="toSequenceNr"/>; the highest sequence number stays.</summary>
    protected override Task DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_records.TryGetValue(persistenceId, out var record))
            {
                RemoveThrough(record, toSequenceNr);
            }
        }
        return Task.CompletedTask;
    }

    private static void RemoveThrough(Record record, long toSequenceNr)
    {
        int count = 0;
        while (count < record.Events.Count && record.Events[count].SequenceNr <= toSequenceNr)
        {
            count++;
        }
        record.Events.RemoveRange(0, count);
    }

    /// <summary><see cref="ForgetPersistenceId"/> and <see cref="CountRecords"/>, answered unless sent without a sender.</summary>
    protected override bool ReceivePluginInternal(object message)
    {
        switch (message)
        {
            case ForgetPersistenceId forget:
                bool forgotten = false;
                lock (_lock)
                {
                    if (_records.TryGetValue(forget.PersistenceId, out var record))
                    {
                        RemoveThrough(record, forget.ToSequenceNr);
                        // A writer that went above the purge point keeps its events and numbering.
                        if (record.Events.Count == 0 && record.Highest <= forget.ToSequenceNr)
                        {
                            forgotten = _records.Remove(forget.PersistenceId);
                        }
                    }
                }
                Answer(new PersistenceIdForgotten(forget.PersistenceId, forgotten));
                return true;
            case CountRecords:
                int ids, events = 0;
                lock (_lock)
                {
                    ids = _records.Count;
                    foreach (var record in _records.Values)
                    {
                        events += record.Events.Count;
                    }
                }
                Answer(new RecordCount(ids, events));
                return true;
            default:
                return false;
        }
    }

    private void Answer(object reply)
    {
        if (!Sender.IsNobody() && !Sender.Equals(Context.System.DeadLetters))
        {
            Sender.Tell(reply);
        }
    }
}

/// <summary>
/// Tell to the in-memory journal when a persistent actor is over for good (it deleted its events and snapshots and
/// will never write again, as a closed session does): events through <see cref="ToSequenceNr"/> go and then, if none
/// is left and the highest sequence number is not above it, the ID itself. The counterpart of the Redis journal's
/// <c>PurgePersistenceId</c>. Answered with <see cref="PersistenceIdForgotten"/> unless sent without a sender.
/// </summary>
public sealed record ForgetPersistenceId(string PersistenceId, long ToSequenceNr);

/// <summary>The answer to <see cref="ForgetPersistenceId"/>: whether nothing of the ID is left.</summary>
public sealed record PersistenceIdForgotten(string PersistenceId, bool Forgotten);

/// <summary>Asks the in-memory journal how much it holds (<see cref="RecordCount"/>): tests and diagnostics.</summary>
public sealed record CountRecords
{
    public static readonly CountRecords Instance = new();
}

/// <summary>Persistence IDs the in-memory journal knows (a highest sequence number at least) and events it holds.</summary>
public sealed record RecordCount(int PersistenceIds, int Events);
