using Akka.Persistence;
using Akka.TestKit;
using StackExchange.Redis;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>Hand-written after Akka.Persistence.TCK's SnapshotStoreSpec and SnapshotStoreSaveSnapshotSpec.</summary>
public sealed class SnapshotStoreSpecTests : RedisPersistenceSpec
{
    private const string Pid = "s-1";
    private static readonly DateTime Epoch = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    private readonly TestProbe _probe;
    private readonly List<SnapshotMetadata> _saved = [];

    public SnapshotStoreSpecTests()
    {
        _probe = CreateTestProbe();
        StartPlugins();
        // Snapshots 1..5, one minute apart, with explicit (deterministic) timestamps.
        for (var i = 1; i <= 5; i++)
            _saved.Add(Save(Pid, i, Epoch.AddMinutes(i), $"s-{i}"));
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

    private void AssertLoaded(int expected, SelectedSnapshot? loaded)
    {
        Assert.NotNull(loaded);
        Assert.Equal(_saved[expected - 1], loaded.Metadata);
        Assert.Equal($"s-{expected}", loaded.Snapshot);
    }

    [Fact]
    public void Loads_nothing_for_an_unknown_persistence_id()
    {
        Assert.Null(Load(SnapshotSelectionCriteria.Latest, pid: "unknown"));
    }

    [Fact]
    public void Loads_nothing_when_no_snapshot_matches()
    {
        Assert.Null(Load(SnapshotSelectionCriteria.None));
        Assert.Null(Load(new SnapshotSelectionCriteria(long.MaxValue, Epoch)));
    }

    [Fact]
    public void Loads_the_latest_snapshot()
    {
        AssertLoaded(5, Load(SnapshotSelectionCriteria.Latest));
    }

    [Fact]
    public void Loads_the_latest_snapshot_up_to_a_sequence_number_bound()
    {
        AssertLoaded(3, Load(new SnapshotSelectionCriteria(3)));
        AssertLoaded(3, Load(SnapshotSelectionCriteria.Latest, toSequenceNr: 3));
    }

    [Fact]
    public void Loads_the_latest_snapshot_within_sequence_number_and_timestamp_bounds()
    {
        AssertLoaded(2, Load(new SnapshotSelectionCriteria(4, _saved[1].Timestamp)));
        AssertLoaded(2, Load(new SnapshotSelectionCriteria(4, _saved[2].Timestamp.AddTicks(-1))));
    }

    [Fact]
    public void Honours_the_lower_sequence_number_and_timestamp_bounds()
    {
        AssertLoaded(4, Load(new SnapshotSelectionCriteria(4, DateTime.MaxValue, minSequenceNr: 4)));
        Assert.Null(Load(new SnapshotSelectionCriteria(5, _saved[1].Timestamp, minSequenceNr: 3)));
        Assert.Null(Load(new SnapshotSelectionCriteria(long.MaxValue, DateTime.MaxValue, 0, _saved[4].Timestamp.AddTicks(1))));
        AssertLoaded(5, Load(new SnapshotSelectionCriteria(long.MaxValue, DateTime.MaxValue, 0, _saved[4].Timestamp)));
    }

    [Fact]
    public void Deletes_a_single_snapshot_identified_by_its_metadata()
    {
        SnapshotStore.Tell(new DeleteSnapshot(_saved[2]), _probe.Ref);
        _probe.ExpectMsg<DeleteSnapshotSuccess>(m => m.Metadata.Equals(_saved[2]));

        AssertLoaded(2, Load(new SnapshotSelectionCriteria(3)));
        AssertLoaded(4, Load(new SnapshotSelectionCriteria(4)));
    }

    [Fact]
    public void Deletes_by_sequence_number_alone_when_the_metadata_has_no_timestamp()
    {
        SnapshotStore.Tell(new DeleteSnapshot(new SnapshotMetadata(Pid, 3, DateTime.MinValue)), _probe.Ref);
        _probe.ExpectMsg<DeleteSnapshotSuccess>();
        AssertLoaded(2, Load(new SnapshotSelectionCriteria(3)));
    }

    [Fact]
    public void Keeps_a_snapshot_newer_than_the_timestamp_of_the_delete_request()
    {
        SnapshotStore.Tell(new DeleteSnapshot(new SnapshotMetadata(Pid, 3, _saved[2].Timestamp.AddTicks(-1))), _probe.Ref);
        _probe.ExpectMsg<DeleteSnapshotSuccess>();
        AssertLoaded(3, Load(new SnapshotSelectionCriteria(3)));
    }

    [Fact]
    public void Deletes_all_snapshots_matching_the_criteria()
    {
        var criteria = new SnapshotSelectionCriteria(3);
        SnapshotStore.Tell(new DeleteSnapshots(Pid, criteria), _probe.Ref);
        _probe.ExpectMsg<DeleteSnapshotsSuccess>(m => m.Criteria.Equals(criteria));

        Assert.Null(Load(new SnapshotSelectionCriteria(3)));
        AssertLoaded(4, Load(new SnapshotSelectionCriteria(4)));
        AssertLoaded(5, Load(SnapshotSelectionCriteria.Latest));
    }

    [Fact]
    public void Deletes_only_inside_the_lower_and_upper_bounds_of_the_criteria()
    {
        // sequenceNr 2..4, and a timestamp ceiling that spares 4
        var criteria = new SnapshotSelectionCriteria(4, _saved[2].Timestamp, minSequenceNr: 2);
        SnapshotStore.Tell(new DeleteSnapshots(Pid, criteria), _probe.Ref);
        _probe.ExpectMsg<DeleteSnapshotsSuccess>();

        var left = RedisTestServer.Database().SortedSetRangeByScoreWithScores($"{KeyPrefix}snapshot:{Pid}");
        Assert.Equal([1d, 4d, 5d], left.Select(e => e.Score));
        AssertLoaded(1, Load(new SnapshotSelectionCriteria(3)));
    }

    [Fact]
    public void Loads_the_newest_of_two_snapshots_saved_with_the_same_sequence_number()
    {
        var newer = Save(Pid, 5, Epoch.AddHours(1), "s-5-again");
        var loaded = Load(SnapshotSelectionCriteria.Latest);
        Assert.NotNull(loaded);
        Assert.Equal(newer, loaded.Metadata);
        Assert.Equal("s-5-again", loaded.Snapshot);
    }

    [Fact]
    public void Stamps_the_save_time_when_the_metadata_has_no_timestamp()
    {
        var before = DateTime.UtcNow;
        var saved = Save("stamped", 1, DateTime.MinValue, "x");
        Assert.InRange(saved.Timestamp, before, DateTime.UtcNow);
        var loaded = Load(SnapshotSelectionCriteria.Latest, pid: "stamped");
        Assert.NotNull(loaded);
        Assert.Equal(saved.Timestamp, loaded.Metadata.Timestamp);
    }

    [Fact]
    public void Saves_and_loads_a_big_snapshot()
    {
        var big = new byte[4 * 1024 * 1024];
        new Random(7016).NextBytes(big);
        Save("big", 1, Epoch, big);
        var loaded = Load(SnapshotSelectionCriteria.Latest, pid: "big");
        Assert.NotNull(loaded);
        Assert.Equal(big, (byte[])loaded.Snapshot);
    }

    [Fact]
    public void Stores_snapshots_in_the_Akka_Persistence_Redis_key_layout()
    {
        var db = RedisTestServer.Database();
        Assert.Equal(RedisType.SortedSet, db.KeyType($"{KeyPrefix}snapshot:{Pid}"));
        var entries = db.SortedSetRangeByScoreWithScores($"{KeyPrefix}snapshot:{Pid}");
        Assert.Equal([1d, 2d, 3d, 4d, 5d], entries.Select(e => e.Score));
    }
}
