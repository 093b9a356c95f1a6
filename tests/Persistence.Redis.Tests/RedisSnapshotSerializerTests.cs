using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Persistence;
using Rtmfp.Persistence.Redis.Serialization;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>The snapshot envelope: byte layout of Akka.Persistence.Redis's SnapshotMessage, round trips, corruption.</summary>
public sealed class RedisSnapshotSerializerTests : Akka.TestKit.Xunit.TestKit
{
    private readonly RedisSnapshotSerializer _serializer;

    public RedisSnapshotSerializerTests() : base("akka.loglevel = WARNING")
    {
        _serializer = new RedisSnapshotSerializer((ExtendedActorSystem)Sys);
    }

    [Fact]
    public void Writes_the_SnapshotMessage_protobuf_layout()
    {
        // pid "p", seq 5, 1970-01-01T00:00:01.5Z, payload {1,2} by the byte-array serializer (id 4, no manifest)
        var snapshot = new SelectedSnapshot(
            new SnapshotMetadata("p", 5, DateTime.UnixEpoch.AddMilliseconds(1500)), new byte[] { 1, 2 });
        var bytes = _serializer.ToBinary(snapshot);
        Assert.Equal(Convert.FromHexString("0a017010051a0808011080cab5ee012206080412020102"), bytes);
    }

    [Fact]
    public void Reads_the_SnapshotMessage_protobuf_layout_with_unknown_fields_skipped()
    {
        // the vector above plus field 9 (varint 1) at the end, as a newer writer might add
        var bytes = Convert.FromHexString("0a017010051a0808011080cab5ee0122060804120201024801");
        var snapshot = (SelectedSnapshot)_serializer.FromBinary(bytes, typeof(SelectedSnapshot));
        Assert.Equal(new SnapshotMetadata("p", 5, DateTime.UnixEpoch.AddMilliseconds(1500)), snapshot.Metadata);
        Assert.Equal(new byte[] { 1, 2 }, (byte[])snapshot.Snapshot);
        Assert.Equal(DateTimeKind.Utc, snapshot.Metadata.Timestamp.Kind);
    }

    [Theory]
    [InlineData(0L)]                          // DateTime.MinValue (negative seconds)
    [InlineData(621355968000000001L)]         // one tick after the Unix epoch
    [InlineData(621355967999999999L)]         // one tick before it (negative seconds, positive nanos)
    [InlineData(638_000_000_000_000_123L)]
    [InlineData(3155378975999999999L)]        // DateTime.MaxValue
    public void Round_trips_timestamps_to_the_tick(long ticks)
    {
        var metadata = new SnapshotMetadata("pid", 42, new DateTime(ticks, DateTimeKind.Utc));
        var back = RoundTrip(new SelectedSnapshot(metadata, "state"));
        Assert.Equal(ticks, back.Metadata.Timestamp.Ticks);
        Assert.Equal("state", back.Snapshot);
    }

    [Fact]
    public void Round_trips_defaults_that_proto3_leaves_out()
    {
        var back = RoundTrip(new SelectedSnapshot(new SnapshotMetadata("", 0, DateTime.UnixEpoch), new byte[0]));
        Assert.Equal("", back.Metadata.PersistenceId);
        Assert.Equal(0, back.Metadata.SequenceNr);
        Assert.Equal(DateTime.UnixEpoch, back.Metadata.Timestamp);
        Assert.Empty((byte[])back.Snapshot);
    }

    [Fact]
    public void Round_trips_a_payload_that_needs_a_manifest()
    {
        var state = new Dictionary<string, int> { ["a"] = 1, ["b"] = 2 };
        var back = RoundTrip(new SelectedSnapshot(new SnapshotMetadata("pid", 3, DateTime.UnixEpoch), state));
        Assert.Equal(state, Assert.IsType<Dictionary<string, int>>(back.Snapshot));
    }

    [Theory]
    [InlineData("0a05")]                              // string longer than the buffer
    [InlineData("1a03080110")]                        // timestamp message longer than the buffer
    [InlineData("1a0b08ffffffffffffffffff01")]        // valid timestamp (-1 s), payload missing
    [InlineData("22020804")]                          // payload, timestamp missing
    [InlineData("1a0b08ff91b8c398feffffff0122020804")] // seconds one below year 1
    [InlineData("1a06108094ebdc0322020804")]          // nanos = 1e9
    public void Rejects_corrupt_envelopes_with_a_SerializationException(string hex)
    {
        Assert.ThrowsAny<SerializationException>(() => _serializer.FromBinary(Convert.FromHexString(hex), typeof(SelectedSnapshot)));
    }

    [Fact]
    public void Refuses_to_serialize_anything_but_a_SelectedSnapshot()
    {
        Assert.Throws<ArgumentException>(() => _serializer.ToBinary("not a snapshot"));
    }

    private SelectedSnapshot RoundTrip(SelectedSnapshot snapshot) =>
        (SelectedSnapshot)_serializer.FromBinary(_serializer.ToBinary(snapshot), typeof(SelectedSnapshot));
}
