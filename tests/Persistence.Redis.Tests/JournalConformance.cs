using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Akka.TestKit;
using Rtmfp.Persistence.Redis.Journal;
using StackExchange.Redis;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>
/// The cases of Akka.Persistence.TCK's JournalSpec and JournalSerializationSpec, restated (the TCK
/// package is not on our mirror), plus what this plugin adds (paging, key layout). Each case runs
/// against the standalone Redis and against a three-master Redis Cluster: see the two classes below.
/// Like the TCK, every case starts from events 1..5 of one persistence ID, written by one WriteMessages
/// whose last AtomicWrite holds two events (4 and 5).
/// </summary>
public abstract class JournalConformance : RedisPersistenceSpec
{
    private const int ActorInstanceId = 1;
    protected const string Pid = "p-1";
    private const string WriterGuid = "writer-1";

    private readonly TestProbe _receiver;

    protected JournalConformance(RedisTarget target) : base(target, "akka.persistence.publish-plugin-commands = on")
    {
        _receiver = CreateTestProbe();
        WriteMessages(1, 5, Pid);
    }

    private void WriteMessages(long from, long to, string pid)
    {
        var writes = new List<IPersistentEnvelope>();
        for (var i = from; i <= to - 2; i++)
            writes.Add(new AtomicWrite(Event($"a-{i}", i, pid)));
        writes.Add(to > from
            ? new AtomicWrite(ImmutableList.Create<IPersistentRepresentation>(Event($"a-{to - 1}", to - 1, pid), Event($"a-{to}", to, pid)))
            : new AtomicWrite(Event($"a-{to}", to, pid)));

        var writer = CreateTestProbe();
        Journal.Tell(new WriteMessages(writes, writer.Ref, ActorInstanceId));
        writer.ExpectMsg<WriteMessagesSuccessful>();
        for (var i = from; i <= to; i++)
        {
            var n = i;
            writer.ExpectMsg<WriteMessageSuccess>(m =>
                m.Persistent.SequenceNr == n && (string)m.Persistent.Payload == $"a-{n}" && m.Persistent.PersistenceId == pid);
        }
    }

    private void Replay(long from, long to, long max, string pid = Pid) =>
        Journal.Tell(new ReplayMessages(from, to, max, pid, _receiver.Ref));

    private void ExpectReplayed(params long[] sequenceNrs)
    {
        foreach (var n in sequenceNrs)
            _receiver.ExpectMsg<ReplayedMessage>(m =>
                m.Persistent.SequenceNr == n && (string)m.Persistent.Payload == $"a-{n}" && m.Persistent.PersistenceId == Pid
                && !m.Persistent.IsDeleted);
    }

    private void ExpectRecoverySuccess(long highest) =>
        _receiver.ExpectMsg<RecoverySuccess>(m => m.HighestSequenceNr == highest);

    private void Delete(long toSequenceNr)
    {
        var deleter = CreateTestProbe();
        Journal.Tell(new DeleteMessagesTo(Pid, toSequenceNr, deleter.Ref));
        deleter.ExpectMsg<DeleteMessagesSuccess>(m => m.ToSequenceNr == toSequenceNr);
    }

    // --- JournalSpec ---

    [Fact]
    public void Journal_should_replay_all_messages()
    {
        Replay(1, long.MaxValue, long.MaxValue);
        ExpectReplayed(1, 2, 3, 4, 5);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Journal_should_replay_messages_using_a_lower_sequence_number_bound()
    {
        Replay(3, long.MaxValue, long.MaxValue);
        ExpectReplayed(3, 4, 5);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Journal_should_replay_messages_using_an_upper_sequence_number_bound()
    {
        Replay(1, 3, long.MaxValue);
        ExpectReplayed(1, 2, 3);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Journal_should_replay_messages_using_a_count_limit()
    {
        Replay(1, long.MaxValue, 3);
        ExpectReplayed(1, 2, 3);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Journal_should_replay_messages_using_lower_and_upper_sequence_number_bound()
    {
        Replay(2, 3, long.MaxValue);
        ExpectReplayed(2, 3);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Journal_should_replay_messages_using_lower_and_upper_sequence_number_bound_and_count_limit()
    {
        Replay(2, 5, 2);
        ExpectReplayed(2, 3);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Journal_should_replay_a_single_message_if_lower_sequence_number_bound_equals_upper_bound()
    {
        Replay(2, 2, long.MaxValue);
        ExpectReplayed(2);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Journal_should_replay_a_single_message_if_count_limit_is_one()
    {
        Replay(2, 4, 1);
        ExpectReplayed(2);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Journal_should_not_replay_messages_if_count_limit_is_zero()
    {
        Replay(2, 4, 0);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Journal_should_not_replay_messages_if_lower_sequence_number_bound_is_greater_than_upper_bound()
    {
        Replay(3, 2, long.MaxValue);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Journal_should_not_replay_messages_if_the_persistent_actor_has_not_yet_written_any()
    {
        Replay(0, long.MaxValue, long.MaxValue, "non-existing-pid");
        ExpectRecoverySuccess(0);
    }

    [Fact]
    public void Journal_should_not_replay_messages_above_the_highest_sequence_number()
    {
        Replay(6, long.MaxValue, long.MaxValue);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Journal_should_not_replay_permanently_deleted_messages_on_range_deletion()
    {
        var published = CreateTestProbe();
        Sys.EventStream.Subscribe(published.Ref, typeof(DeleteMessagesTo));
        var deleter = CreateTestProbe();
        Journal.Tell(new DeleteMessagesTo(Pid, 3, deleter.Ref));
        published.ExpectMsg<DeleteMessagesTo>(m => m.PersistenceId == Pid && m.ToSequenceNr == 3);
        deleter.ExpectMsg<DeleteMessagesSuccess>(m => m.ToSequenceNr == 3);

        Replay(1, long.MaxValue, long.MaxValue);
        ExpectReplayed(4, 5);
        ExpectRecoverySuccess(5);
        deleter.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        // deleted means gone from Redis, not flagged
        Assert.Equal(2, Target.Database().SortedSetLength(Keys.Journal(Pid)));
    }

    [Fact]
    public void Journal_should_not_reset_HighestSequenceNr_after_message_deletion()
    {
        Replay(0, long.MaxValue, long.MaxValue);
        ExpectReplayed(1, 2, 3, 4, 5);
        ExpectRecoverySuccess(5);

        Delete(3);

        Replay(0, long.MaxValue, long.MaxValue);
        ExpectReplayed(4, 5);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Journal_should_not_reset_HighestSequenceNr_after_journal_cleanup()
    {
        Delete(long.MaxValue);

        Replay(0, long.MaxValue, long.MaxValue);
        ExpectRecoverySuccess(5);
        Assert.Equal(0, Target.Database().SortedSetLength(Keys.Journal(Pid)));

        // the next write continues after the kept high-water mark
        WriteMessages(6, 6, Pid);
        Replay(1, long.MaxValue, long.MaxValue);
        ExpectReplayed(6);
        ExpectRecoverySuccess(6);
    }

    [Fact]
    public void Journal_should_write_an_AtomicWrite_of_several_events_all_or_nothing_in_one_transaction()
    {
        const string pid = "atomic";
        var events = ImmutableList.Create<IPersistentRepresentation>(Event("a-1", 1, pid), Event("a-2", 2, pid), Event("a-3", 3, pid));
        var writer = CreateTestProbe();
        Journal.Tell(new WriteMessages([new AtomicWrite(events)], writer.Ref, ActorInstanceId));
        writer.ExpectMsg<WriteMessagesSuccessful>();
        for (var i = 1; i <= 3; i++)
        {
            var n = i;
            writer.ExpectMsg<WriteMessageSuccess>(m => m.Persistent.SequenceNr == n);
        }
        Assert.Equal(3, Target.Database().SortedSetLength(Keys.Journal(pid)));
        Assert.Equal("3", (string?)Target.Database().StringGet(Keys.HighestSequenceNr(pid)));
    }

    [Fact]
    public void Journal_should_serialize_events()
    {
        // A payload with an actor ref through a non-default serializer: it comes back equal, and the ref resolvable.
        var probe = CreateTestProbe();
        var payload = new TestPayload(probe.Ref);
        var write = new AtomicWrite(new Persistent(payload, 6, Pid, string.Empty, false, ActorRefs.NoSender, WriterGuid));
        Journal.Tell(new WriteMessages([write], probe.Ref, ActorInstanceId));
        probe.ExpectMsg<WriteMessagesSuccessful>();
        probe.ExpectMsg<WriteMessageSuccess>(m =>
            m.Persistent.WriterGuid == WriterGuid && m.Persistent.PersistenceId == Pid && m.Persistent.SequenceNr == 6
            && (m.Persistent.Sender == ActorRefs.NoSender || m.Persistent.Sender.Equals(Sys.DeadLetters))
            && m.Persistent.Payload.Equals(payload));

        Replay(6, long.MaxValue, long.MaxValue);
        var replayed = _receiver.ExpectMsg<ReplayedMessage>().Persistent;
        Assert.Equal(WriterGuid, replayed.WriterGuid);
        Assert.Equal(Pid, replayed.PersistenceId);
        Assert.Equal(6, replayed.SequenceNr);
        Assert.True(replayed.Sender == ActorRefs.NoSender || replayed.Sender.Equals(Sys.DeadLetters));
        Assert.Equal(payload, replayed.Payload);
        ((TestPayload)replayed.Payload).Ref.Tell("still there");
        probe.ExpectMsg("still there");
        ExpectRecoverySuccess(6);
    }

    [Fact]
    public void Journal_should_reject_non_serializable_events_alone_as_rejections_not_failures()
    {
        const string pid = "reject";
        var writes = new IPersistentEnvelope[]
        {
            new AtomicWrite(Event("a-1", 1, pid)),
            new AtomicWrite(ImmutableList.Create<IPersistentRepresentation>(Event(new Unserializable("x"), 2, pid), Event("a-3", 3, pid))),
            new AtomicWrite(Event("a-4", 4, pid)),
        };
        var writer = CreateTestProbe();
        Journal.Tell(new WriteMessages(writes, writer.Ref, ActorInstanceId));
        writer.ExpectMsg<WriteMessagesSuccessful>();
        writer.ExpectMsg<WriteMessageSuccess>(m => m.Persistent.SequenceNr == 1);
        // the whole AtomicWrite holding the bad event is rejected, its good event included
        writer.ExpectMsg<WriteMessageRejected>(m => m.Persistent.SequenceNr == 2 && m.Cause is InvalidOperationException);
        writer.ExpectMsg<WriteMessageRejected>(m => m.Persistent.SequenceNr == 3);
        writer.ExpectMsg<WriteMessageSuccess>(m => m.Persistent.SequenceNr == 4);

        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, pid, _receiver.Ref));
        _receiver.ExpectMsg<ReplayedMessage>(m => m.Persistent.SequenceNr == 1);
        _receiver.ExpectMsg<ReplayedMessage>(m => m.Persistent.SequenceNr == 4);
        ExpectRecoverySuccess(4);
    }

    // --- JournalSerializationSpec ---

    [Fact]
    public void Journal_should_serialize_Persistent_with_a_string_manifest_serializer()
    {
        var writer = CreateTestProbe();
        var payload = new TestEvent("héllo", 7);
        Journal.Tell(new WriteMessages([new AtomicWrite(Event(payload, 6, Pid))], writer.Ref, ActorInstanceId));
        writer.ExpectMsg<WriteMessagesSuccessful>();
        writer.ExpectMsg<WriteMessageSuccess>();

        Replay(6, 6, 1);
        _receiver.ExpectMsg<ReplayedMessage>(m => m.Persistent.Payload.Equals(payload));
        ExpectRecoverySuccess(6);
    }

    [Fact]
    public void Journal_should_serialize_Persistent_with_an_event_adapter_manifest()
    {
        var writer = CreateTestProbe();
        var persistent = new Persistent("a-6", 6, Pid, "adapter-manifest-v2", false, ActorRefs.NoSender, WriterGuid);
        Journal.Tell(new WriteMessages([new AtomicWrite(persistent)], writer.Ref, ActorInstanceId));
        writer.ExpectMsg<WriteMessagesSuccessful>();
        writer.ExpectMsg<WriteMessageSuccess>();

        Replay(6, 6, 1);
        _receiver.ExpectMsg<ReplayedMessage>(m => m.Persistent.Manifest == "adapter-manifest-v2" && (string)m.Persistent.Payload == "a-6");
        ExpectRecoverySuccess(6);
    }

    // --- beyond the TCK ---

    [Fact]
    public void Journal_should_replay_writer_guid_and_a_write_timestamp()
    {
        var before = DateTime.UtcNow.Ticks;
        WriteMessages(6, 6, Pid);
        Replay(6, 6, 1);
        _receiver.ExpectMsg<ReplayedMessage>(m =>
            m.Persistent.WriterGuid == WriterGuid && m.Persistent.Timestamp >= before && m.Persistent.Timestamp <= DateTime.UtcNow.Ticks);
        ExpectRecoverySuccess(6);
    }

    [Fact]
    public void Journal_should_replay_across_page_boundaries_in_order_and_honour_max_across_pages()
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
        var writer = CreateTestProbe();
        Journal.Tell(new WriteMessages(writes, writer.Ref, ActorInstanceId));
        writer.ExpectMsg<WriteMessagesSuccessful>(TimeSpan.FromSeconds(10));
        writer.ReceiveN(count, TimeSpan.FromSeconds(10));

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

    [Fact(Timeout = 30_000)]
    public async Task Journal_should_store_events_and_high_water_mark_in_the_Akka_Persistence_Redis_key_layout()
    {
        var db = Target.Database();
        var events = await db.SortedSetRangeByScoreWithScoresAsync(Keys.Journal(Pid));
        Assert.Equal([1d, 2d, 3d, 4d, 5d], events.Select(e => e.Score));
        Assert.Equal("5", (string?)await db.StringGetAsync(Keys.HighestSequenceNr(Pid)));
        Assert.Equal(RedisType.SortedSet, await db.KeyTypeAsync(Keys.Journal(Pid)));
    }
}

/// <summary>The journal conformance cases against the standalone Redis of RTMFP_TEST_REDIS.</summary>
public sealed class JournalConformanceOnRedis() : JournalConformance(RedisTarget.Standalone);

/// <summary>
/// The journal conformance cases against a Redis Cluster of three masters, plus the proof that all
/// keys of one persistence ID share a slot while different IDs spread over the masters.
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class JournalConformanceOnRedisCluster(RedisCluster cluster) : JournalConformance(cluster)
{
    [Fact(Timeout = 30_000)]
    public async Task Journal_should_keep_all_keys_of_a_persistence_id_in_one_slot_and_spread_ids_over_the_masters()
    {
        var masters = new HashSet<string>();
        for (var i = 0; i < 30; i++)
        {
            var pid = $"spread-{i}";
            var slot = await cluster.SlotOfAsync(Keys.Journal(pid));
            Assert.Equal(slot, await cluster.SlotOfAsync(Keys.HighestSequenceNr(pid)));
            Assert.Equal(slot, await cluster.SlotOfAsync(Keys.Snapshot(pid)));
            masters.Add(cluster.Inspector.GetServer(cluster.Inspector.GetEndPoints()[0]).ClusterConfiguration!.GetBySlot(slot)!.NodeId);
        }
        Assert.Equal(3, masters.Count);

        // and the journal writes and reads them all through the one connection
        var writer = CreateTestProbe();
        var writes = Enumerable.Range(0, 30).Select(i => (IPersistentEnvelope)new AtomicWrite(Event("x", 1, $"spread-{i}"))).ToList();
        Journal.Tell(new WriteMessages(writes, writer.Ref, 1));
        writer.ExpectMsg<WriteMessagesSuccessful>();
        writer.ReceiveN(30);
        for (var i = 0; i < 30; i++)
            Assert.Equal("1", (string?)await Target.Database().StringGetAsync(Keys.HighestSequenceNr($"spread-{i}")));
    }
}
