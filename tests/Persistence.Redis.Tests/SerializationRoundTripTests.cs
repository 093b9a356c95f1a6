using Akka.Actor;
using System.Text;
using Akka.Persistence;
using Rtmfp.Persistence.Redis.Serialization;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>
/// User events and snapshots go through the serializer Akka binds to their type (here a non-default
/// one), inside Akka's Persistent envelope resp. the snapshot envelope (after the TCK's
/// JournalSerializationSpec and SnapshotStoreSerializationSpec).
/// </summary>
public sealed class SerializationRoundTripTests : RedisPersistenceSpec
{
    public SerializationRoundTripTests() => StartPlugins();

    [Fact]
    public void Round_trips_events_with_a_non_default_serializer_through_a_restart()
    {
        var before = Volatile.Read(ref TestEventSerializer.Serialized);
        var first = Sys.ActorOf(Recorder.Props("ser-1"));
        var events = new[] { new TestEvent("héllo", 1), new TestEvent("wörld|with|bars", -42) };
        foreach (var e in events)
        {
            first.Tell(e);
            ExpectMsg(e);
        }
        Assert.True(Volatile.Read(ref TestEventSerializer.Serialized) >= before + 2);

        // The stored member is Akka's Persistent protobuf envelope carrying our serializer's bytes and manifest.
        var members = RedisTestServer.Database().SortedSetRangeByScore($"{KeyPrefix}journal:persisted:ser-1");
        Assert.Equal(2, members.Length);
        var raw = (byte[])members[0]!;
        Assert.True(Contains(raw, Encoding.UTF8.GetBytes(TestEventSerializer.Marker + "1|héllo")));
        Assert.True(Contains(raw, Encoding.UTF8.GetBytes(TestEventSerializer.TestEventManifest)));
        Assert.True(Contains(raw, Encoding.UTF8.GetBytes("ser-1")));

        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first);
        var second = Sys.ActorOf(Recorder.Props("ser-1"));
        second.Tell(new Recorder.GetState());
        Assert.Equal(events, ExpectMsg<Recorder.State>().Events);
    }

    [Fact]
    public void Round_trips_a_snapshot_with_a_non_default_serializer()
    {
        var snapshot = new TestEvent("snap", 7);
        var metadata = new SnapshotMetadata("ser-2", 3, new DateTime(2026, 5, 6, 7, 8, 9, DateTimeKind.Utc).AddTicks(1234567));
        SnapshotStore.Tell(new SaveSnapshot(metadata, snapshot), TestActor);
        ExpectMsg<SaveSnapshotSuccess>();

        var raw = (byte[])RedisTestServer.Database().SortedSetRangeByScore($"{KeyPrefix}snapshot:ser-2")[0]!;
        Assert.True(Contains(raw, Encoding.UTF8.GetBytes(TestEventSerializer.Marker + "7|snap")));
        // PersistentPayload.serializerId (field 1, varint) = 9001
        Assert.True(Contains(raw, [0x08, 0xA9, 0x46]));

        SnapshotStore.Tell(new LoadSnapshot("ser-2", SnapshotSelectionCriteria.Latest, long.MaxValue), TestActor);
        var loaded = ExpectMsg<LoadSnapshotResult>().Snapshot;
        Assert.NotNull(loaded);
        Assert.Equal(snapshot, loaded.Snapshot);
        Assert.Equal(metadata, loaded.Metadata);
        Assert.Equal(metadata.Timestamp.Ticks, loaded.Metadata.Timestamp.Ticks);
    }

    [Fact]
    public void Binds_the_snapshot_envelope_serializer_to_SelectedSnapshot_under_id_48()
    {
        var serializer = Sys.Serialization.FindSerializerForType(typeof(SelectedSnapshot));
        Assert.IsType<RedisSnapshotSerializer>(serializer);
        Assert.Equal(48, serializer.Identifier);
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
