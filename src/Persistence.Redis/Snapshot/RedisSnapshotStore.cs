using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
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
    private readonly RedisPlugin _redis;
    private readonly RedisSnapshotSerializer _serializer;

    public RedisSnapshotStore(Config snapshotConfig)
    {
        _redis = new RedisPlugin(snapshotConfig, RedisPersistence.DefaultSnapshotStoreConfig, Context.GetLogger(), $"Redis snapshot store {Self.Path.Name}");
        // The envelope is this store's storage format, so it is used directly, whatever the bindings.
        _serializer = new RedisSnapshotSerializer((ExtendedActorSystem)Context.System);
    }

    public RedisSettings Settings => _redis.Settings;

    /// <summary>Newest snapshot matching the criteria: highest sequenceNr, then newest timestamp.</summary>
    protected override async Task<SelectedSnapshot?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria,
        CancellationToken cancellationToken)
    {
        var members = await _redis.Retry.RunAsync("load", (persistenceId, criteria),
            static (store, q) => ReadRangeAsync(store, q.persistenceId, q.criteria), cancellationToken).ConfigureAwait(false);
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

    /// <summary>ZADD scored by sequenceNr; serialized once, so a retried ZADD of the same bytes stores it once.</summary>
    protected override Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken)
    {
        var bytes = _serializer.ToBinary(new SelectedSnapshot(metadata, snapshot));
        return PersistenceMetrics.Measure(PersistenceMetrics.SnapshotSave, () => _redis.Retry.RunAsync("save", (metadata, bytes),
            static (store, q) => store.Database.SortedSetAddAsync(store.Keys.Snapshot(q.metadata.PersistenceId), q.bytes, q.metadata.SequenceNr),
            cancellationToken));
    }

    /// <summary>
    /// Without a timestamp: ZREMRANGEBYSCORE [seq, seq]. With one: the snapshots at that sequenceNr
    /// whose timestamp is not after it are removed (Akka.Persistence.Redis semantics).
    /// </summary>
    protected override Task DeleteAsync(SnapshotMetadata metadata, CancellationToken cancellationToken) =>
        _redis.Retry.RunAsync("delete", (metadata, self: this), static async (store, q) =>
        {
            var key = store.Keys.Snapshot(q.metadata.PersistenceId);
            if (q.metadata.Timestamp == DateTime.MinValue)
                return await store.Database.SortedSetRemoveRangeByScoreAsync(key, q.metadata.SequenceNr, q.metadata.SequenceNr)
                    .ConfigureAwait(false);

            var members = await store.Database.SortedSetRangeByScoreAsync(key, q.metadata.SequenceNr, q.metadata.SequenceNr)
                .ConfigureAwait(false);
            var doomed = new List<RedisValue>(members.Length);
            foreach (var member in members)
                if (q.self.Deserialize(member).Metadata.Timestamp <= q.metadata.Timestamp)
                    doomed.Add(member);
            return doomed.Count > 0 ? await store.Database.SortedSetRemoveAsync(key, doomed.ToArray()).ConfigureAwait(false) : 0;
        }, cancellationToken);

    /// <summary>Removes every snapshot matching the criteria (sequenceNr and timestamp bounds).</summary>
    protected override Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria,
        CancellationToken cancellationToken) =>
        _redis.Retry.RunAsync("delete", (persistenceId, criteria, self: this), static async (store, q) =>
        {
            var members = await ReadRangeAsync(store, q.persistenceId, q.criteria).ConfigureAwait(false);
            var doomed = new List<RedisValue>(members.Length);
            foreach (var member in members)
                if (Matches(q.criteria, q.self.Deserialize(member).Metadata))
                    doomed.Add(member);
            return doomed.Count > 0
                ? await store.Database.SortedSetRemoveAsync(store.Keys.Snapshot(q.persistenceId), doomed.ToArray()).ConfigureAwait(false)
                : 0;
        }, cancellationToken);

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
        _redis.Dispose();
        base.PostStop();
    }
}
