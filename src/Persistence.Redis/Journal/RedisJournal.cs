using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
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

    private readonly RedisConnection _connection;
    private readonly Serializer _persistentSerializer;
    private readonly ExtendedActorSystem _system;

    public RedisJournal(Config journalConfig)
    {
        Settings = RedisSettings.Create(journalConfig, RedisPersistence.DefaultJournalConfig);
        _connection = new RedisConnection(Settings);
        _system = (ExtendedActorSystem)Context.System;
        // Akka's own persistence serializer (protobuf): payload bytes, serializer id and manifest,
        // persistenceId, sequenceNr, writer GUID and timestamp.
        _persistentSerializer = Context.System.Serialization.FindSerializerForType(typeof(Persistent));
    }

    public RedisSettings Settings { get; }

    /// <summary>
    /// One MULTI/EXEC per AtomicWrite (ZADD of its events + SET of its highest sequenceNr), all
    /// pipelined. A batch that cannot be serialized is rejected alone (its slot in the result list);
    /// a Redis error fails the whole call, because whether it was stored is then unknown and Akka's
    /// contract wants a failure (the actor stops, the circuit breaker counts it).
    /// </summary>
    protected override async Task<IImmutableList<Exception?>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages,
        CancellationToken cancellationToken)
    {
        var writes = messages as IReadOnlyList<AtomicWrite> ?? new List<AtomicWrite>(messages);
        var store = await _connection.GetStoreAsync(cancellationToken).ConfigureAwait(false);

        var results = new Exception?[writes.Count];
        var pending = new List<Task>(writes.Count * 3);
        var executions = new List<Task<bool>>(writes.Count);
        for (var i = 0; i < writes.Count; i++)
        {
            var write = writes[i];
            SortedSetEntry[] entries;
            try
            {
                entries = Serialize(write);
            }
            catch (Exception e)
            {
                results[i] = e;
                continue;
            }

            var transaction = store.Database.CreateTransaction();
            pending.Add(transaction.SortedSetAddAsync(store.Keys.Journal(write.PersistenceId), entries));
            pending.Add(transaction.StringSetAsync(store.Keys.HighestSequenceNr(write.PersistenceId), write.HighestSequenceNr));
            var execution = transaction.ExecuteAsync();
            executions.Add(execution);
            pending.Add(execution);
        }

        // Every task is awaited so none is left unobserved; the first error fails the call.
        await Task.WhenAll(pending).ConfigureAwait(false);
        foreach (var execution in executions)
            if (!execution.Result)
                throw new RedisException("Redis journal: EXEC of an atomic write was aborted");

        return ImmutableList.Create(results);
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
        var store = await _connection.GetStoreAsync(cancellationToken).ConfigureAwait(false);
        var value = await store.Database.StringGetAsync(store.Keys.HighestSequenceNr(persistenceId)).ConfigureAwait(false);
        return value.IsNull ? 0L : (long)value;
    }

    /// <summary>ZRANGEBYSCORE from..to LIMIT, in pages of <see cref="ReplayPageSize"/>, at most max events.</summary>
    public override async Task ReplayMessagesAsync(IActorContext context, string persistenceId, long fromSequenceNr,
        long toSequenceNr, long max, Action<IPersistentRepresentation> recoveryCallback)
    {
        var store = await _connection.GetStoreAsync(CancellationToken.None).ConfigureAwait(false);
        var key = store.Keys.Journal(persistenceId);
        var next = fromSequenceNr;
        var remaining = max;
        while (remaining > 0 && next <= toSequenceNr)
        {
            var take = Math.Min(remaining, ReplayPageSize);
            var page = await store.Database.SortedSetRangeByScoreAsync(key, next, toSequenceNr,
                Exclude.None, Order.Ascending, 0, take).ConfigureAwait(false);
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
    protected override async Task DeleteMessagesToAsync(string persistenceId, long toSequenceNr,
        CancellationToken cancellationToken)
    {
        var store = await _connection.GetStoreAsync(cancellationToken).ConfigureAwait(false);
        await store.Database.SortedSetRemoveRangeByScoreAsync(store.Keys.Journal(persistenceId), -1, toSequenceNr)
            .ConfigureAwait(false);
    }

    protected override void PostStop()
    {
        _connection.Dispose();
        base.PostStop();
    }
}
