using Akka.Persistence;
using Akka.TestKit;
using StackExchange.Redis;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>
/// The cases of Akka.Persistence.TCK's SnapshotStoreSpec and SnapshotStoreSaveSnapshotSpec, restated,
/// plus what this plugin adds. Like the TCK, every case starts from five snapshots "s-1".."s-5" of one
/// persistence ID at sequence numbers 11..15; here with explicit timestamps a minute apart, so the
/// timestamp bounds are deterministic. Runs against the standalone Redis and a three-master Redis Cluster.
/// </summary>
public abstract class SnapshotStoreConformance : RedisPersistenceSpec
{
    private const string Pid = "s-1";
    private static readonly DateTime Epoch = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    private readonly TestProbe _probe;
    private readonly List<SnapshotMetadata> _saved = [];

    protected SnapshotStoreConformance(RedisTarget target) : base(target, "akka.persistence.publish-plugin-commands = on")
    {
        _probe = CreateTestProbe();
        for (var i = 1; i <= 5; i++)
            _saved.Add(Save(Pid, i + 10, Epoch.AddMinutes(i), $"s-{i}"));
    }

    private SnapshotMetadata Save(string pid, long sequenceNr, DateTime timestamp, object snapshot)
    {
        var metadata = new SnapshotMetadata(pid, sequenceNr, timestamp);
        SnapshotStore.Tell(new SaveSnapshot(metadata, snapshot), _probe.Ref);
        return _probe.ExpectMsg<SaveSnapshotSuccess>().Metadata;
    }

    private SelectedSnapshot? Load(SnapshotSelectionCriteria criteria, long toSequenceNr = long.MaxValue, string pid = Pid)
    {
        SnapshotStore.Tell(new LoadSnapshot(pid, criteria, toSequenceNr), _probe.Ref);
        var result = _probe.ExpectMsg<LoadSnapshotResult>();
        Assert.Equal(toSequenceNr, result.ToSequenceNr);
        return result.Snapshot;
    }

    /// <summary>Snapshot number <paramref name="expected"/> (1..5) was loaded, metadata and content.</summary>
    private void AssertLoaded(int expected, SelectedSnapshot? loaded)
    {
        Assert.NotNull(loaded);
        Assert.Equal(_saved[expected - 1], loaded.Metadata);
        Assert.Equal($"s-{expected}", loaded.Snapshot);
    }

    private void DeleteOne(SnapshotMetadata metadata)
    {
        var published = CreateTestProbe();
        Sys.EventStream.Subscribe(published.Ref, typeof(DeleteSnapshot));
        var command = new DeleteSnapshot(metadata);
        SnapshotStore.Tell(command, _probe.Ref);
        published.ExpectMsg(command);
        _probe.ExpectMsg<DeleteSnapshotSuccess>(m => m.Metadata.Equals(metadata));
    }

    private void DeleteMatching(SnapshotSelectionCriteria criteria)
    {
        var published = CreateTestProbe();
        Sys.EventStream.Subscribe(published.Ref, typeof(DeleteSnapshots));
        var command = new DeleteSnapshots(Pid, criteria);
        SnapshotStore.Tell(command, _probe.Ref);
        published.ExpectMsg(command);
        _probe.ExpectMsg<DeleteSnapshotsSuccess>(m => m.Criteria.Equals(criteria));
    }

    // --- SnapshotStoreSpec ---

    [Fact]
    public void SnapshotStore_should_not_load_a_snapshot_given_an_invalid_persistence_id()
    {
        Assert.Null(Load(SnapshotSelectionCriteria.Latest, pid: "invalid"));
    }

    [Fact]
    public void SnapshotStore_should_not_load_a_snapshot_given_non_matching_timestamp_criteria()
    {
        Assert.Null(Load(new SnapshotSelectionCriteria(long.MaxValue, new DateTime(100000, DateTimeKind.Utc))));
    }

    [Fact]
    public void SnapshotStore_should_not_load_a_snapshot_given_non_matching_sequence_number_criteria()
    {
        Assert.Null(Load(new SnapshotSelectionCriteria(7)));
        Assert.Null(Load(SnapshotSelectionCriteria.Latest, toSequenceNr: 7));
        Assert.Null(Load(SnapshotSelectionCriteria.None));
    }

    [Fact]
    public void SnapshotStore_should_load_the_most_recent_snapshot()
    {
        AssertLoaded(5, Load(SnapshotSelectionCriteria.Latest));
    }

    [Fact]
    public void SnapshotStore_should_load_the_most_recent_snapshot_matching_an_upper_sequence_number_bound()
    {
        AssertLoaded(3, Load(new SnapshotSelectionCriteria(13)));
        AssertLoaded(3, Load(SnapshotSelectionCriteria.Latest, toSequenceNr: 13));
    }

    [Fact]
    public void SnapshotStore_should_load_the_most_recent_snapshot_matching_an_upper_sequence_number_and_timestamp_bound()
    {
        AssertLoaded(3, Load(new SnapshotSelectionCriteria(13, _saved[2].Timestamp)));
        AssertLoaded(3, Load(new SnapshotSelectionCriteria(long.MaxValue, _saved[2].Timestamp), toSequenceNr: 13));
        AssertLoaded(2, Load(new SnapshotSelectionCriteria(14, _saved[2].Timestamp.AddTicks(-1))));
    }

    [Fact]
    public void SnapshotStore_should_delete_a_single_snapshot_identified_by_sequence_number_and_timestamp()
    {
        DeleteOne(new SnapshotMetadata(Pid, _saved[2].SequenceNr, _saved[2].Timestamp));
        AssertLoaded(2, Load(new SnapshotSelectionCriteria(_saved[2].SequenceNr)));
        AssertLoaded(4, Load(new SnapshotSelectionCriteria(_saved[3].SequenceNr)));
    }

    [Fact]
    public void SnapshotStore_should_delete_a_single_snapshot_identified_by_sequence_number_if_timestamp_is_MinValue()
    {
        DeleteOne(new SnapshotMetadata(Pid, _saved[2].SequenceNr, DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc)));
        AssertLoaded(2, Load(new SnapshotSelectionCriteria(_saved[2].SequenceNr)));
    }

    [Fact]
    public void SnapshotStore_should_not_delete_a_snapshot_whose_stored_timestamp_is_after_the_metadata_timestamp()
    {
        DeleteOne(new SnapshotMetadata(Pid, _saved[2].SequenceNr, _saved[2].Timestamp - TimeSpan.FromSeconds(2)));
        AssertLoaded(3, Load(new SnapshotSelectionCriteria(_saved[2].SequenceNr)));
    }

    [Fact]
    public void SnapshotStore_should_delete_all_snapshots_matching_upper_sequence_number_and_timestamp_bounds()
    {
        var md = _saved[2];
        DeleteMatching(new SnapshotSelectionCriteria(md.SequenceNr, md.Timestamp));
        Assert.Null(Load(new SnapshotSelectionCriteria(md.SequenceNr, md.Timestamp)));
        AssertLoaded(4, Load(new SnapshotSelectionCriteria(_saved[3].SequenceNr, _saved[3].Timestamp)));
        AssertLoaded(5, Load(SnapshotSelectionCriteria.Latest));
    }

    [Fact]
    public void SnapshotStore_should_not_delete_snapshots_with_non_matching_upper_timestamp_bounds()
    {
        var md = _saved[3];
        DeleteMatching(new SnapshotSelectionCriteria(md.SequenceNr, md.Timestamp.AddTicks(-1)));
        AssertLoaded(4, Load(new SnapshotSelectionCriteria(md.SequenceNr, md.Timestamp)));
    }

    [Fact]
    public void SnapshotStore_should_save_and_overwrite_a_snapshot_with_the_same_sequence_number()
    {
        var md = _saved[4];
        var again = Save(Pid, md.SequenceNr, md.Timestamp.AddSeconds(1), "s-5-modified");
        Assert.Equal(md.SequenceNr, again.SequenceNr);
        var loaded = Load(new SnapshotSelectionCriteria(md.SequenceNr));
        Assert.NotNull(loaded);
        Assert.Equal("s-5-modified", loaded.Snapshot);
        Assert.Equal(again, loaded.Metadata);
    }

    [Fact]
    public void SnapshotStore_should_save_a_bigger_snapshot()
    {
        // The TCK's limit is 10,000 bytes; this plugin holds 4 MiB (Redis's limit is 512 MB per value).
        var big = new byte[4 * 1024 * 1024];
        new Random(7016).NextBytes(big);
        Save("big", 100, Epoch, big);
        var loaded = Load(SnapshotSelectionCriteria.Latest, pid: "big");
        Assert.NotNull(loaded);
        Assert.Equal(big, (byte[])loaded.Snapshot);
    }

    [Fact]
    public void SnapshotStore_should_serialize_snapshots()
    {
        var probe = CreateTestProbe();
        var payload = new TestPayload(probe.Ref);
        Save(Pid, 100, Epoch.AddHours(1), payload);
        var loaded = Load(SnapshotSelectionCriteria.Latest);
        Assert.NotNull(loaded);
        Assert.Equal(Pid, loaded.Metadata.PersistenceId);
        Assert.Equal(100, loaded.Metadata.SequenceNr);
        Assert.Equal(payload, loaded.Snapshot);
    }

    // --- SnapshotStoreSaveSnapshotSpec (concurrent saves are optional in the TCK and not claimed here) ---

    [Fact]
    public void SnapshotStore_should_accept_several_saves_with_the_same_sequence_number_and_keep_their_metadata()
    {
        var first = new SnapshotMetadata("same-seq", 3, DateTime.UtcNow);
        SnapshotStore.Tell(new SaveSnapshot(first, new TestPayload(_probe.Ref)), _probe.Ref);
        Assert.Equal(first, _probe.ExpectMsg<SaveSnapshotSuccess>().Metadata);
        var second = new SnapshotMetadata("same-seq", 3, first.Timestamp.AddTicks(1));
        SnapshotStore.Tell(new SaveSnapshot(second, 3), _probe.Ref);
        Assert.Equal(second, _probe.ExpectMsg<SaveSnapshotSuccess>().Metadata);
        Assert.Equal(3, Load(SnapshotSelectionCriteria.Latest, pid: "same-seq")?.Snapshot);
    }

    // --- beyond the TCK ---

    [Fact]
    public void SnapshotStore_should_honour_the_lower_sequence_number_and_timestamp_bounds()
    {
        AssertLoaded(4, Load(new SnapshotSelectionCriteria(14, DateTime.MaxValue, minSequenceNr: 14)));
        Assert.Null(Load(new SnapshotSelectionCriteria(15, _saved[1].Timestamp, minSequenceNr: 13)));
        Assert.Null(Load(new SnapshotSelectionCriteria(long.MaxValue, DateTime.MaxValue, 0, _saved[4].Timestamp.AddTicks(1))));
        AssertLoaded(5, Load(new SnapshotSelectionCriteria(long.MaxValue, DateTime.MaxValue, 0, _saved[4].Timestamp)));
    }

    [Fact(Timeout = 30_000)]
    public async Task SnapshotStore_should_delete_only_inside_the_lower_and_upper_bounds_of_the_criteria()
    {
        // sequenceNr 12..14, and a timestamp ceiling that spares 14
        var criteria = new SnapshotSelectionCriteria(14, _saved[2].Timestamp, minSequenceNr: 12);
        DeleteMatching(criteria);
        var left = await Target.Database().SortedSetRangeByScoreWithScoresAsync(Keys.Snapshot(Pid));
        Assert.Equal([11d, 14d, 15d], left.Select(e => e.Score));
        AssertLoaded(1, Load(new SnapshotSelectionCriteria(13)));
    }

    [Fact]
    public void SnapshotStore_should_stamp_the_save_time_when_the_metadata_has_no_timestamp()
    {
        var before = DateTime.UtcNow;
        var saved = Save("stamped", 1, DateTime.MinValue, "x");
        Assert.InRange(saved.Timestamp, before, DateTime.UtcNow);
        var loaded = Load(SnapshotSelectionCriteria.Latest, pid: "stamped");
        Assert.NotNull(loaded);
        Assert.Equal(saved.Timestamp, loaded.Metadata.Timestamp);
    }

    [Fact(Timeout = 30_000)]
    public async Task SnapshotStore_should_store_snapshots_in_the_Akka_Persistence_Redis_key_layout()
    {
        var db = Target.Database();
        Assert.Equal(RedisType.SortedSet, await db.KeyTypeAsync(Keys.Snapshot(Pid)));
        var entries = await db.SortedSetRangeByScoreWithScoresAsync(Keys.Snapshot(Pid));
        Assert.Equal([11d, 12d, 13d, 14d, 15d], entries.Select(e => e.Score));
    }
}

/// <summary>The snapshot store conformance cases against the standalone Redis of RTMFP_TEST_REDIS.</summary>
public sealed class SnapshotStoreConformanceOnRedis() : SnapshotStoreConformance(RedisTarget.Standalone);

/// <summary>The snapshot store conformance cases against a Redis Cluster of three masters.</summary>
[Collection(RedisClusterCollection.Name)]
public sealed class SnapshotStoreConformanceOnRedisCluster(RedisCluster cluster) : SnapshotStoreConformance(cluster);
