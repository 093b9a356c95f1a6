using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Akka.Serialization;
using StackExchange.Redis;

namespace Rtmfp.Persistence.Redis.Journal;

/// <summary>
/// Akka.Persistence journal on Redis with the key design of Akka.Persistence.Redis: one sorted set of
/// serialized <see cref="Persistent"/> envelopes per persistenceId (score = sequenceNr) and one
/// high-water key. Single writer per persistenceId is assumed (cluster sharding gives it), so there is
/// no WATCH.
/// </summary>
public sealed class RedisJournal : AsyncWriteJournal
{
    // Replay reads at most this many events per round trip, so huge journals do not land in memory at once.
    internal const int ReplayPageSize = 1000;

    private readonly RedisPlugin _redis;
    private readonly Serializer _persistentSerializer;
    private readonly ExtendedActorSystem _system;

    public RedisJournal(Config journalConfig)
    {
        _redis = new RedisPlugin(journalConfig, RedisPersistence.DefaultJournalConfig, Context.GetLogger(), $"Redis journal {Self.Path.Name}");
        _system = (ExtendedActorSystem)Context.System;
        // Akka's own persistence serializer (protobuf): payload bytes, serializer id and manifest,
        // persistenceId, sequenceNr, writer GUID and timestamp.
        _persistentSerializer = Context.System.Serialization.FindSerializerForType(typeof(Persistent));
    }

    public RedisSettings Settings => _redis.Settings;

    /// <summary>
    /// One MULTI/EXEC per AtomicWrite (ZADD of its events + SET of its highest sequenceNr), all
    /// pipelined. A batch that cannot be serialized is rejected alone (its slot in the result list).
    /// Transient Redis errors are retried (same bytes, so a write that did land is not doubled); any
    /// other Redis error, or retries running out, fails the whole call: whether it was stored is then
    /// unknown and Akka's contract wants a failure (the persistent actor stops, the breaker counts it).
    /// </summary>
    protected override async Task<IImmutableList<Exception?>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages,
        CancellationToken cancellationToken)
    {
        var writes = messages as IReadOnlyList<AtomicWrite> ?? new List<AtomicWrite>(messages);
        var results = new Exception?[writes.Count];
        var batches = new List<(string PersistenceId, SortedSetEntry[] Entries, long Highest)>(writes.Count);
        for (var i = 0; i < writes.Count; i++)
        {
            var write = writes[i];
            try
            {
                batches.Add((write.PersistenceId, Serialize(write), write.HighestSequenceNr));
            }
            catch (Exception e)
            {
                results[i] = e;
            }
        }

        if (batches.Count > 0)
            await PersistenceMetrics.Measure(PersistenceMetrics.JournalWrite,
                () => _redis.Retry.RunAsync("write", batches, WriteBatchesAsync, cancellationToken)).ConfigureAwait(false);
        return ImmutableList.Create(results);
    }

    private static async Task<bool> WriteBatchesAsync(RedisStore store,
        List<(string PersistenceId, SortedSetEntry[] Entries, long Highest)> batches)
    {
        var queued = new List<Task>(batches.Count * 2);
        var executions = new List<Task<bool>>(batches.Count);
        foreach (var (persistenceId, entries, highest) in batches)
        {
            var transaction = store.Database.CreateTransaction();
            queued.Add(transaction.SortedSetAddAsync(store.Keys.Journal(persistenceId), entries));
            queued.Add(transaction.StringSetAsync(store.Keys.HighestSequenceNr(persistenceId), highest));
            executions.Add(transaction.ExecuteAsync());
        }

        // EXEC first: when it fails (connection lost) the driver may never complete the commands queued
        // inside the transaction, so waiting for those would hang the write and every retry after it.
        try
        {
            await Task.WhenAll(executions).ConfigureAwait(false);
        }
        catch
        {
            foreach (var task in queued)
                _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                    TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            RedisRetry.ThrowFirstFailure(executions);
        }
        foreach (var execution in executions)
            if (!execution.Result)
                throw new RedisException("Redis journal: EXEC of an atomic write was aborted");

        // EXEC answered: a command inside it can still have failed (Redis does not roll back, e.g. WRONGTYPE).
        try
        {
            await Task.WhenAll(queued).ConfigureAwait(false);
        }
        catch
        {
            RedisRetry.ThrowFirstFailure(queued);
        }
        return true;
    }

    private SortedSetEntry[] Serialize(AtomicWrite write) =>
        // Actor refs inside events are written with this system's address (they may be read on another node).
        Akka.Serialization.Serialization.WithTransport(_system, (write, _persistentSerializer), static state =>
        {
            var payload = (IImmutableList<IPersistentRepresentation>)state.write.Payload;
            var entries = new SortedSetEntry[payload.Count];
            // Stamp the write time just before serialization, like Akka.Persistence.Redis.
            var now = DateTime.UtcNow.Ticks;
            for (var i = 0; i < payload.Count; i++)
            {
                var representation = payload[i].WithTimestamp(now);
                entries[i] = new SortedSetEntry(state._persistentSerializer.ToBinary(representation), representation.SequenceNr);
            }
            return entries;
        });

    private IPersistentRepresentation Deserialize(byte[] bytes) =>
        (IPersistentRepresentation)_persistentSerializer.FromBinary(bytes, typeof(Persistent));

    /// <summary>GET of the high-water key; 0 when never written. The fromSequenceNr hint is not needed.</summary>
    public override async Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr,
        CancellationToken cancellationToken)
    {
        var value = await _redis.Retry.RunAsync("read of the highest sequence number", persistenceId,
            static (store, pid) => store.Database.StringGetAsync(store.Keys.HighestSequenceNr(pid)), cancellationToken).ConfigureAwait(false);
        return value.IsNull ? 0L : (long)value;
    }

    /// <summary>
    /// ZRANGEBYSCORE from..to LIMIT, in pages of <see cref="ReplayPageSize"/>, at most max events. Each
    /// page is retried on its own and handed to the callback only once read whole, so nothing is replayed twice.
    /// </summary>
    public override async Task ReplayMessagesAsync(IActorContext context, string persistenceId, long fromSequenceNr,
        long toSequenceNr, long max, Action<IPersistentRepresentation> recoveryCallback)
    {
        var next = fromSequenceNr;
        var remaining = max;
        while (remaining > 0 && next <= toSequenceNr)
        {
            var take = Math.Min(remaining, ReplayPageSize);
            var page = await _redis.Retry.RunAsync("replay", (persistenceId, next, toSequenceNr, take),
                static (store, q) => store.Database.SortedSetRangeByScoreAsync(store.Keys.Journal(q.persistenceId), q.next,
                    q.toSequenceNr, Exclude.None, Order.Ascending, 0, q.take), CancellationToken.None).ConfigureAwait(false);
            foreach (var member in page)
            {
                var representation = Deserialize((byte[])member!);
                recoveryCallback(representation);
                next = representation.SequenceNr + 1;
            }
            remaining -= page.Length;
            if (page.Length < take) break;
        }
    }

    /// <summary>ZREMRANGEBYSCORE -1..to; the high-water key stays, so the highest sequenceNr survives.</summary>
    protected override Task DeleteMessagesToAsync(string persistenceId, long toSequenceNr,
        CancellationToken cancellationToken) =>
        _redis.Retry.RunAsync("delete", (persistenceId, toSequenceNr),
            static (store, q) => store.Database.SortedSetRemoveRangeByScoreAsync(store.Keys.Journal(q.persistenceId), -1, q.toSequenceNr),
            cancellationToken);

    // Atomic on one slot (the two keys share their hash tag on Redis Cluster): a writer that went above the purge
    // point keeps its key and events; the purge of an ID nobody writes any more leaves nothing.
    private const string PurgeScript = """
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-1', ARGV[1])
        if redis.call('EXISTS', KEYS[1]) == 0 then
          local highest = redis.call('GET', KEYS[2])
          if highest and tonumber(highest) <= tonumber(ARGV[1]) then
            redis.call('DEL', KEYS[2])
            return 1
          end
        end
        return 0
        """;

    /// <summary><see cref="PurgePersistenceId"/>: with the same retries as every other operation, answered either way.</summary>
    protected override bool ReceivePluginInternal(object message)
    {
        if (message is not PurgePersistenceId purge)
        {
            return false;
        }
        var replyTo = Sender;
        bool answer = !replyTo.IsNobody() && !replyTo.Equals(Context.System.DeadLetters);
        var log = Context.GetLogger();
        _redis.Retry.RunAsync("purge", purge,
                static (store, p) => store.Database.ScriptEvaluateAsync(PurgeScript,
                    [store.Keys.Journal(p.PersistenceId), store.Keys.HighestSequenceNr(p.PersistenceId)], [p.ToSequenceNr]),
                CancellationToken.None)
            .ContinueWith(t =>
            {
                var failure = t.Exception?.GetBaseException();
                if (failure is not null)
                {
                    // Nothing waits for it (a closed session): the key stays, as before purges existed.
                    log.Warning("Redis journal: purge of {0} failed, its high-water key stays: {1}", purge.PersistenceId, failure.Message);
                }
                if (answer)
                {
                    replyTo.Tell(new PersistenceIdPurged(purge.PersistenceId, t.IsCompletedSuccessfully && (long)t.Result == 1, failure));
                }
            }, TaskScheduler.Default);
        return true;
    }

    protected override void PostStop()
    {
        _redis.Dispose();
        base.PostStop();
    }
}
