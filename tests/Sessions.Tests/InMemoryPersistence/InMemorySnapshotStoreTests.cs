using Akka.Actor;
using Akka.Persistence;
using Akka.TestKit;
using Akka.TestKit.Xunit;
using Rtmfp.Cluster.Persistence;

namespace Rtmfp.Sessions.Tests.InMemoryPersistence;

/// <summary>
/// The node's in-memory snapshot store (<see cref="InMemorySnapshotStore"/>): the cases of Akka.Persistence.TCK's
/// SnapshotStoreSpec, restated. Every case starts from five snapshots "s-1".."s-5" of one persistence ID at sequence
/// numbers 11..15, timestamps a minute apart.
/// </summary>
public class InMemorySnapshotStoreTests : TestKit
{
    private const string Pid = "s-1";
    private static readonly DateTime Epoch = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    private readonly IActorRef _store;
    private readonly TestProbe _probe;
    private readonly List<SnapshotMetadata> _saved = [];

    public InMemorySnapshotStoreTests() : base(InMemoryPersistenceHosting.Hocon)
    {
        _store = Akka.Persistence.Persistence.Instance.Apply(Sys).SnapshotStoreFor(null);
        _probe = CreateTestProbe();
        for (int i = 1; i <= 5; i++)
        {
            _saved.Add(Save(Pid, i + 10, Epoch.AddMinutes(i), $"s-{i}"));
        }
    }

    private SnapshotMetadata Save(string pid, long sequenceNr, DateTime timestamp, object snapshot)
    {
        _store.Tell(new SaveSnapshot(new SnapshotMetadata(pid, sequenceNr, timestamp), snapshot), _probe.Ref);
        return _probe.ExpectMsg<SaveSnapshotSuccess>().Metadata;
    }

    private SelectedSnapshot? Load(SnapshotSelectionCriteria criteria, string pid = Pid)
    {
        _store.Tell(new LoadSnapshot(pid, criteria, long.MaxValue), _probe.Ref);
        return _probe.ExpectMsg<LoadSnapshotResult>().Snapshot;
    }

    private void AssertLoaded(int expected, SelectedSnapshot? loaded)
    {
        Assert.NotNull(loaded);
        Assert.Equal(_saved[expected - 1], loaded.Metadata);
        Assert.Equal($"s-{expected}", loaded.Snapshot);
    }

    [Fact]
    public void It_loads_the_newest_snapshot_matching_the_criteria()
    {
        AssertLoaded(5, Load(SnapshotSelectionCriteria.Latest));
        AssertLoaded(3, Load(new SnapshotSelectionCriteria(13)));
        AssertLoaded(2, Load(new SnapshotSelectionCriteria(long.MaxValue, Epoch.AddMinutes(2))));
        AssertLoaded(3, Load(new SnapshotSelectionCriteria(13, Epoch.AddMinutes(4))));
        Assert.Null(Load(new SnapshotSelectionCriteria(10)));
        Assert.Null(Load(new SnapshotSelectionCriteria(long.MaxValue, DateTime.MaxValue, 16)));
        Assert.Null(Load(SnapshotSelectionCriteria.Latest, "s-unknown"));
    }

    [Fact]
    public void Saving_a_sequence_number_again_replaces_its_snapshot()
    {
        Save(Pid, 15, Epoch.AddMinutes(9), "s-5 again");
        var loaded = Load(SnapshotSelectionCriteria.Latest);
        Assert.Equal(("s-5 again", 15L), (loaded?.Snapshot, loaded?.Metadata.SequenceNr ?? 0));
        Assert.Equal(Epoch.AddMinutes(9), loaded!.Metadata.Timestamp);
    }

    [Fact]
    public void A_single_delete_removes_that_snapshot_only()
    {
        _store.Tell(new DeleteSnapshot(_saved[4]), _probe.Ref);
        _probe.ExpectMsg<DeleteSnapshotSuccess>();
        AssertLoaded(4, Load(SnapshotSelectionCriteria.Latest));
        // With a timestamp older than the snapshot's, nothing goes.
        _store.Tell(new DeleteSnapshot(new SnapshotMetadata(Pid, 14, Epoch)), _probe.Ref);
        _probe.ExpectMsg<DeleteSnapshotSuccess>();
        AssertLoaded(4, Load(SnapshotSelectionCriteria.Latest));
    }

    [Fact]
    public void A_delete_by_criteria_removes_what_matches_and_the_rest_stays()
    {
        _store.Tell(new DeleteSnapshots(Pid, new SnapshotSelectionCriteria(13)), _probe.Ref);
        _probe.ExpectMsg<DeleteSnapshotsSuccess>();
        Assert.Null(Load(new SnapshotSelectionCriteria(13)));
        AssertLoaded(5, Load(SnapshotSelectionCriteria.Latest));
        _store.Tell(new DeleteSnapshots(Pid, SnapshotSelectionCriteria.Latest), _probe.Ref);
        _probe.ExpectMsg<DeleteSnapshotsSuccess>();
        Assert.Null(Load(SnapshotSelectionCriteria.Latest));
        // An ID saved again after all of it went starts afresh.
        Save(Pid, 20, Epoch, "again");
        Assert.Equal("again", Load(SnapshotSelectionCriteria.Latest)?.Snapshot);
    }
}
