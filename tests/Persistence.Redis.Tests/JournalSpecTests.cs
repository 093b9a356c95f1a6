using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Akka.TestKit;
using Rtmfp.Persistence.Redis.Journal;
using StackExchange.Redis;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>Hand-written after Akka.Persistence.TCK's JournalSpec, against a real Redis.</summary>
public sealed class JournalSpecTests : RedisPersistenceSpec
{
    private const int ActorInstanceId = 1;
    private const string Pid = "p-1";

    private readonly TestProbe _writer;
    private readonly TestProbe _receiver;

    public JournalSpecTests()
    {
        _writer = CreateTestProbe();
        _receiver = CreateTestProbe();
        StartPlugins();
        WriteMessages(1, 5, Pid);
    }

    private void WriteMessages(long from, long to, string pid)
    {
        var writes = new List<IPersistentEnvelope>();
        for (var i = from; i <= to; i++)
            writes.Add(new AtomicWrite(Event($"a-{i}", i, pid)));
        Journal.Tell(new WriteMessages(writes, _writer.Ref, ActorInstanceId));
        _writer.ExpectMsg<WriteMessagesSuccessful>();
        for (var i = from; i <= to; i++)
        {
            var n = i;
            _writer.ExpectMsg<WriteMessageSuccess>(m => m.Persistent.SequenceNr == n && (string)m.Persistent.Payload == $"a-{n}");
        }
    }

    private void Replay(long from, long to, long max, string pid = Pid) =>
        Journal.Tell(new ReplayMessages(from, to, max, pid, _receiver.Ref));

    private void ExpectReplayed(params long[] sequenceNrs)
    {
        foreach (var n in sequenceNrs)
            _receiver.ExpectMsg<ReplayedMessage>(m =>
                m.Persistent.SequenceNr == n && (string)m.Persistent.Payload == $"a-{n}" && m.Persistent.PersistenceId == Pid);
    }

    private void ExpectRecoverySuccess(long highest) =>
        _receiver.ExpectMsg<RecoverySuccess>(m => m.HighestSequenceNr == highest);

    [Fact]
    public void Replays_all_messages()
    {
        Replay(1, long.MaxValue, long.MaxValue);
        ExpectReplayed(1, 2, 3, 4, 5);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Replays_messages_using_a_lower_sequence_number_bound()
    {
        Replay(3, long.MaxValue, long.MaxValue);
        ExpectReplayed(3, 4, 5);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Replays_messages_using_an_upper_sequence_number_bound()
    {
        Replay(1, 3, long.MaxValue);
        ExpectReplayed(1, 2, 3);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Replays_messages_using_a_count_limit()
    {
        Replay(1, long.MaxValue, 3);
        ExpectReplayed(1, 2, 3);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Replays_messages_using_lower_and_upper_bounds_and_a_count_limit()
    {
        Replay(2, 4, 2);
        ExpectReplayed(2, 3);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Replays_nothing_when_the_lower_bound_is_above_the_upper_bound()
    {
        Replay(3, 2, long.MaxValue);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Replays_nothing_when_the_lower_bound_is_above_the_highest_sequence_number()
    {
        Replay(6, long.MaxValue, long.MaxValue);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Replays_nothing_with_a_zero_count_limit()
    {
        Replay(1, long.MaxValue, 0);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Reports_highest_sequence_number_zero_for_an_unknown_persistence_id()
    {
        Replay(1, long.MaxValue, long.MaxValue, "unknown");
        ExpectRecoverySuccess(0);
    }

    [Fact]
    public void Does_not_replay_deleted_messages_and_keeps_the_highest_sequence_number()
    {
        var deleter = CreateTestProbe();
        Journal.Tell(new DeleteMessagesTo(Pid, 3, deleter.Ref));
        deleter.ExpectMsg<DeleteMessagesSuccess>(m => m.ToSequenceNr == 3);

        Replay(1, long.MaxValue, long.MaxValue);
        ExpectReplayed(4, 5);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Keeps_the_highest_sequence_number_after_deleting_everything()
    {
        var deleter = CreateTestProbe();
        Journal.Tell(new DeleteMessagesTo(Pid, long.MaxValue, deleter.Ref));
        deleter.ExpectMsg<DeleteMessagesSuccess>();

        Replay(1, long.MaxValue, long.MaxValue);
        ExpectRecoverySuccess(5);
        Assert.Equal(0, RedisTestServer.Database().SortedSetLength($"{KeyPrefix}journal:persisted:{Pid}"));

        // the next write continues after the kept high-water mark
        WriteMessages(6, 6, Pid);
        Replay(1, long.MaxValue, long.MaxValue);
        ExpectReplayed(6);
        ExpectRecoverySuccess(6);
    }

    [Fact]
    public void Stores_events_and_high_water_mark_in_the_Akka_Persistence_Redis_key_layout()
    {
        var db = RedisTestServer.Database();
        var events = db.SortedSetRangeByScoreWithScores($"{KeyPrefix}journal:persisted:{Pid}");
        Assert.Equal([1d, 2d, 3d, 4d, 5d], events.Select(e => e.Score));
        Assert.Equal("5", (string?)db.StringGet($"{KeyPrefix}journal:persisted:{Pid}:highestSequenceNr"));
        Assert.Equal(RedisType.SortedSet, db.KeyType($"{KeyPrefix}journal:persisted:{Pid}"));
    }

    [Fact]
    public void Writes_an_atomic_write_of_several_events_as_one_batch()
    {
        const string pid = "atomic";
        var events = new IPersistentRepresentation[] { Event("a-1", 1, pid), Event("a-2", 2, pid), Event("a-3", 3, pid) };
        Journal.Tell(new WriteMessages([new AtomicWrite(events.ToImmutableList())], _writer.Ref, ActorInstanceId));
        _writer.ExpectMsg<WriteMessagesSuccessful>();
        for (var i = 1; i <= 3; i++)
        {
            var n = i;
            _writer.ExpectMsg<WriteMessageSuccess>(m => m.Persistent.SequenceNr == n);
        }
        Assert.Equal(3, RedisTestServer.Database().SortedSetLength($"{KeyPrefix}journal:persisted:{pid}"));
        Assert.Equal("3", (string?)RedisTestServer.Database().StringGet($"{KeyPrefix}journal:persisted:{pid}:highestSequenceNr"));
    }

    [Fact]
    public void Rejects_only_the_atomic_write_that_cannot_be_serialized()
    {
        const string pid = "reject";
        var writes = new IPersistentEnvelope[]
        {
            new AtomicWrite(Event("a-1", 1, pid)),
            new AtomicWrite(new IPersistentRepresentation[] { Event(new Unserializable("x"), 2, pid), Event("a-3", 3, pid) }.ToImmutableList()),
            new AtomicWrite(Event("a-4", 4, pid)),
        };
        Journal.Tell(new WriteMessages(writes, _writer.Ref, ActorInstanceId));
        _writer.ExpectMsg<WriteMessagesSuccessful>();
        _writer.ExpectMsg<WriteMessageSuccess>(m => m.Persistent.SequenceNr == 1);
        _writer.ExpectMsg<WriteMessageRejected>(m => m.Persistent.SequenceNr == 2 && m.Cause is InvalidOperationException);
        _writer.ExpectMsg<WriteMessageRejected>(m => m.Persistent.SequenceNr == 3);
        _writer.ExpectMsg<WriteMessageSuccess>(m => m.Persistent.SequenceNr == 4);

        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, pid, _receiver.Ref));
        _receiver.ExpectMsg<ReplayedMessage>(m => m.Persistent.SequenceNr == 1);
        _receiver.ExpectMsg<ReplayedMessage>(m => m.Persistent.SequenceNr == 4);
        ExpectRecoverySuccess(4);
    }

    [Fact]
    public void Replays_writer_guid_and_a_write_timestamp()
    {
        var before = DateTime.UtcNow.Ticks;
        WriteMessages(6, 6, Pid);
        Replay(6, 6, 1);
        _receiver.ExpectMsg<ReplayedMessage>(m =>
            m.Persistent.WriterGuid == "writer-1" && m.Persistent.Timestamp >= before && m.Persistent.Timestamp <= DateTime.UtcNow.Ticks);
        ExpectRecoverySuccess(6);
    }

    [Fact]
    public void Replays_across_page_boundaries_in_order()
    {
        const string pid = "long";
        const int count = RedisJournal.ReplayPageSize * 2 + 17;
        var writes = new List<IPersistentEnvelope>();
        for (var batch = 0; batch < count; batch += 100)
        {
            var events = new List<IPersistentRepresentation>();
            for (var i = batch + 1; i <= Math.Min(batch + 100, count); i++)
                events.Add(Event($"a-{i}", i, pid));
            writes.Add(new AtomicWrite(events.ToImmutableList()));
        }
        Journal.Tell(new WriteMessages(writes, _writer.Ref, ActorInstanceId));
        _writer.ExpectMsg<WriteMessagesSuccessful>(TimeSpan.FromSeconds(10));
        _writer.ReceiveN(count, TimeSpan.FromSeconds(10));

        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, pid, _receiver.Ref));
        var replayed = _receiver.ReceiveN(count, TimeSpan.FromSeconds(10)).Cast<ReplayedMessage>().ToList();
        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), replayed.Select(r => r.Persistent.SequenceNr));
        ExpectRecoverySuccess(count);

        Journal.Tell(new ReplayMessages(RedisJournal.ReplayPageSize - 1, long.MaxValue, RedisJournal.ReplayPageSize + 3, pid, _receiver.Ref));
        var limited = _receiver.ReceiveN(RedisJournal.ReplayPageSize + 3, TimeSpan.FromSeconds(10)).Cast<ReplayedMessage>().ToList();
        Assert.Equal(RedisJournal.ReplayPageSize - 1, limited[0].Persistent.SequenceNr);
        Assert.Equal(RedisJournal.ReplayPageSize * 2 + 1, limited[^1].Persistent.SequenceNr);
        ExpectRecoverySuccess(count);
    }
}
