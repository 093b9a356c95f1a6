using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Snapshot;
using Rtmfp.Persistence.Redis.Serialization;
using StackExchange.Redis;

namespace Rtmfp.Persistence.Redis.Snapshot;

/// <summary>
/// Akka.Persistence snapshot store on Redis with the key design of Akka.Persistence.Redis: one sorted
/// set per persistenceId, score = sequenceNr, member = <see cref="RedisSnapshotSerializer"/> envelope.
/// Saving the same sequenceNr twice keeps both; loads pick the newest timestamp among equals.
/// </summary>
public sealed class RedisSnapshotStore : SnapshotStore
{
    private readonly RedisConnection _connection;
    private readonly RedisSnapshotSerializer _serializer;

    public RedisSnapshotStore(Config snapshotConfig)
    {
        Settings = RedisSettings.Create(snapshotConfig, RedisPersistence.DefaultSnapshotStoreConfig);
        _connection = new RedisConnection(Settings);
        // The envelope is this store's storage format, so it is used directly, whatever the bindings.
        _serializer = new RedisSnapshotSerializer((ExtendedActorSystem)Context.System);
    }

    public RedisSettings Settings { get; }

    /// <summary>Newest snapshot matching the criteria: highest sequenceNr, then newest timestamp.</summary>
    protected override async Task<SelectedSnapshot?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria,
        CancellationToken cancellationToken)
    {
        var store = await _connection.GetStoreAsync(cancellationToken).ConfigureAwait(false);
        var members = await ReadRangeAsync(store, persistenceId, criteria).ConfigureAwait(false);
        SelectedSnapshot? best = null;
        foreach (var member in members)
        {
            var snapshot = Deserialize(member);
            if (!Matches(criteria, snapshot.Metadata)) continue;
            if (best is null
                || snapshot.Metadata.SequenceNr > best.Metadata.SequenceNr
                || (snapshot.Metadata.SequenceNr == best.Metadata.SequenceNr && snapshot.Metadata.Timestamp > best.Metadata.Timestamp))
                best = snapshot;
        }
        return best;
    }

    /// <summary>ZADD scored by sequenceNr.</summary>
    protected override async Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken)
    {
        var store = await _connection.GetStoreAsync(cancellationToken).ConfigureAwait(false);
        var bytes = _serializer.ToBinary(new SelectedSnapshot(metadata, snapshot));
        await store.Database.SortedSetAddAsync(store.Keys.Snapshot(metadata.PersistenceId), bytes, metadata.SequenceNr)
            .ConfigureAwait(false);
    }

    /// <summary>
    /// Without a timestamp: ZREMRANGEBYSCORE [seq, seq]. With one: the snapshots at that sequenceNr
    /// whose timestamp is not after it are removed (Akka.Persistence.Redis semantics).
    /// </summary>
    protected override async Task DeleteAsync(SnapshotMetadata metadata, CancellationToken cancellationToken)
    {
        var store = await _connection.GetStoreAsync(cancellationToken).ConfigureAwait(false);
        var key = store.Keys.Snapshot(metadata.PersistenceId);
        if (metadata.Timestamp == DateTime.MinValue)
        {
            await store.Database.SortedSetRemoveRangeByScoreAsync(key, metadata.SequenceNr, metadata.SequenceNr)
                .ConfigureAwait(false);
            return;
        }

        var members = await store.Database.SortedSetRangeByScoreAsync(key, metadata.SequenceNr, metadata.SequenceNr)
            .ConfigureAwait(false);
        var doomed = new List<RedisValue>(members.Length);
        foreach (var member in members)
            if (Deserialize(member).Metadata.Timestamp <= metadata.Timestamp)
                doomed.Add(member);
        if (doomed.Count > 0)
            await store.Database.SortedSetRemoveAsync(key, doomed.ToArray()).ConfigureAwait(false);
    }

    /// <summary>Removes every snapshot matching the criteria (sequenceNr and timestamp bounds).</summary>
    protected override async Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria,
        CancellationToken cancellationToken)
    {
        var store = await _connection.GetStoreAsync(cancellationToken).ConfigureAwait(false);
        var members = await ReadRangeAsync(store, persistenceId, criteria).ConfigureAwait(false);
        var doomed = new List<RedisValue>(members.Length);
        foreach (var member in members)
            if (Matches(criteria, Deserialize(member).Metadata))
                doomed.Add(member);
        if (doomed.Count > 0)
            await store.Database.SortedSetRemoveAsync(store.Keys.Snapshot(persistenceId), doomed.ToArray())
                .ConfigureAwait(false);
    }

    private static Task<RedisValue[]> ReadRangeAsync(RedisStore store, string persistenceId, SnapshotSelectionCriteria criteria) =>
        store.Database.SortedSetRangeByScoreAsync(store.Keys.Snapshot(persistenceId),
            Math.Max(criteria.MinSequenceNr, 0), criteria.MaxSequenceNr, Exclude.None, Order.Descending);

    /// <summary>Same test as Akka's (internal) SnapshotSelectionCriteria.IsMatch: all four bounds inclusive.</summary>
    internal static bool Matches(SnapshotSelectionCriteria criteria, SnapshotMetadata metadata) =>
        metadata.SequenceNr <= criteria.MaxSequenceNr && metadata.SequenceNr >= criteria.MinSequenceNr
        && metadata.Timestamp <= criteria.MaxTimeStamp
        && metadata.Timestamp >= (criteria.MinTimestamp ?? DateTime.MinValue);

    private SelectedSnapshot Deserialize(RedisValue member) =>
        (SelectedSnapshot)_serializer.FromBinary((byte[])member!, typeof(SelectedSnapshot));

    protected override void PostStop()
    {
        _connection.Dispose();
        base.PostStop();
    }
}
