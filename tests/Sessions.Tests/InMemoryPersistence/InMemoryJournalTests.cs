using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Akka.TestKit;
using Akka.TestKit.Xunit;
using Rtmfp.Cluster.Persistence;

namespace Rtmfp.Sessions.Tests.InMemoryPersistence;

/// <summary>
/// The node's in-memory journal (<see cref="InMemoryJournal"/>): the journal contract's cases (Akka.Persistence.TCK's
/// JournalSpec, restated as the Redis journal's tests restate them), and that deleted and forgotten records are gone
/// from memory, which Akka's in-memory journal never does. Every case starts from events 1..5 of one persistence ID,
/// written by one WriteMessages whose last AtomicWrite holds two events (4 and 5).
/// </summary>
public class InMemoryJournalTests : TestKit
{
    private const string Pid = "p-1";
    private readonly IActorRef _journal;
    private readonly TestProbe _receiver;

    public InMemoryJournalTests() : base(InMemoryPersistenceHosting.Hocon)
    {
        _journal = Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null);
        _receiver = CreateTestProbe();
        Write(Pid, 1, 5);
    }

    private static Persistent Event(string pid, long sequenceNr) =>
        new($"a-{sequenceNr}", sequenceNr, pid, string.Empty, false, null, "writer-1");

    private void Write(string pid, long from, long to)
    {
        var writes = new List<IPersistentEnvelope>();
        for (long i = from; i <= to - 2; i++)
        {
            writes.Add(new AtomicWrite(Event(pid, i)));
        }
        writes.Add(to > from
            ? new AtomicWrite(ImmutableList.Create<IPersistentRepresentation>(Event(pid, to - 1), Event(pid, to)))
            : new AtomicWrite(Event(pid, to)));
        var writer = CreateTestProbe();
        _journal.Tell(new WriteMessages(writes, writer.Ref, 1));
        writer.ExpectMsg<WriteMessagesSuccessful>();
        for (long i = from; i <= to; i++)
        {
            long n = i;
            writer.ExpectMsg<WriteMessageSuccess>(m => m.Persistent.SequenceNr == n && m.Persistent.PersistenceId == pid);
        }
    }

    private (List<long> Replayed, long Highest) Replay(long from, long to, long max, string pid = Pid)
    {
        _journal.Tell(new ReplayMessages(from, to, max, pid, _receiver.Ref));
        var replayed = new List<long>();
        while (true)
        {
            switch (_receiver.ReceiveOne(TimeSpan.FromSeconds(3)))
            {
                case ReplayedMessage r:
                    Assert.Equal($"a-{r.Persistent.SequenceNr}", r.Persistent.Payload);
                    replayed.Add(r.Persistent.SequenceNr);
                    break;
                case RecoverySuccess s:
                    return (replayed, s.HighestSequenceNr);
                case var other:
                    throw new InvalidOperationException($"journal answered {other}");
            }
        }
    }

    private static void AssertReplay(long[] expected, long highest, (List<long> Replayed, long Highest) actual)
    {
        Assert.Equal(expected, actual.Replayed);
        Assert.Equal(highest, actual.Highest);
    }

    private void Delete(long toSequenceNr, string pid = Pid)
    {
        var deleter = CreateTestProbe();
        _journal.Tell(new DeleteMessagesTo(pid, toSequenceNr, deleter.Ref));
        deleter.ExpectMsg<DeleteMessagesSuccess>(m => m.ToSequenceNr == toSequenceNr);
    }

    private bool Forget(long toSequenceNr, string pid = Pid)
    {
        _journal.Tell(new ForgetPersistenceId(pid, toSequenceNr), TestActor);
        return ExpectMsg<PersistenceIdForgotten>(m => m.PersistenceId == pid).Forgotten;
    }

    private RecordCount Count()
    {
        _journal.Tell(CountRecords.Instance, TestActor);
        return ExpectMsg<RecordCount>();
    }

    [Fact]
    public void It_replays_all_messages_and_reports_the_highest() =>
        AssertReplay([1L, 2, 3, 4, 5], 5, Replay(1, long.MaxValue, long.MaxValue));

    [Fact]
    public void It_replays_a_range_and_at_most_max_messages()
    {
        Assert.Equal([2L, 3, 4], Replay(2, 4, long.MaxValue).Replayed);
        Assert.Equal([1L, 2], Replay(1, long.MaxValue, 2).Replayed);
        Assert.Equal([3L], Replay(3, 3, long.MaxValue).Replayed);
        Assert.Empty(Replay(3, 2, long.MaxValue).Replayed);
        AssertReplay([], 5, Replay(6, long.MaxValue, long.MaxValue));
        Assert.Empty(Replay(1, long.MaxValue, 0).Replayed);
    }

    [Fact]
    public void An_unknown_persistence_id_replays_nothing_from_zero() =>
        AssertReplay([], 0, Replay(1, long.MaxValue, long.MaxValue, "p-unknown"));

    [Fact]
    public void A_delete_removes_the_events_and_keeps_the_highest_sequence_number()
    {
        Delete(3);
        AssertReplay([4L, 5], 5, Replay(1, long.MaxValue, long.MaxValue));
        Delete(5);
        // The numbering survives (JournalSpec): a live ID never writes from 1 again.
        AssertReplay([], 5, Replay(1, long.MaxValue, long.MaxValue));
        Assert.Equal(new RecordCount(1, 0), Count());
        Write(Pid, 6, 7);
        AssertReplay([6L, 7], 7, Replay(1, long.MaxValue, long.MaxValue));
    }

    [Fact]
    public void A_forgotten_persistence_id_leaves_nothing_and_others_are_untouched()
    {
        Write("p-2", 1, 3);
        Assert.Equal(new RecordCount(2, 8), Count());
        Assert.True(Forget(5));
        Assert.Equal(new RecordCount(1, 3), Count());
        AssertReplay([], 0, Replay(1, long.MaxValue, long.MaxValue));
        AssertReplay([1L, 2, 3], 3, Replay(1, long.MaxValue, long.MaxValue, "p-2"));
        Assert.False(Forget(5, "p-unknown"));
    }

    [Fact]
    public void A_writer_above_the_forget_point_keeps_its_events_and_numbering()
    {
        Assert.False(Forget(3));
        AssertReplay([4L, 5], 5, Replay(1, long.MaxValue, long.MaxValue));
    }

    [Fact]
    public void Closed_records_do_not_accumulate()
    {
        // As the node's sessions use it: open (write), close (delete and forget), thousands of times.
        for (int i = 0; i < 2_000; i++)
        {
            string pid = $"session-{i}";
            Write(pid, 1, 2);
            Delete(2, pid);
            _journal.Tell(new ForgetPersistenceId(pid, 2), ActorRefs.Nobody);
        }
        Assert.True(Forget(5));
        Assert.Equal(new RecordCount(0, 0), Count());
    }
}
