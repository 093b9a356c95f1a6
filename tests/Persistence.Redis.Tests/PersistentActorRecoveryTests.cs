using Akka.Actor;
using Akka.Persistence;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>A persistent actor on the Redis plugins survives a restart, with and without a snapshot.</summary>
public sealed class PersistentActorRecoveryTests : RedisPersistenceSpec
{
    public PersistentActorRecoveryTests() => StartPlugins();

    private void Stop(IActorRef actor)
    {
        Watch(actor);
        actor.Tell(PoisonPill.Instance);
        ExpectTerminated(actor);
    }

    [Fact]
    public void Recovers_its_events_after_a_restart()
    {
        var first = Sys.ActorOf(Recorder.Props("rec-1"));
        foreach (var e in new[] { "a", "b", "c" })
        {
            first.Tell(e);
            ExpectMsg(e);
        }
        Stop(first);

        var second = Sys.ActorOf(Recorder.Props("rec-1"));
        second.Tell(new Recorder.GetState());
        var state = ExpectMsg<Recorder.State>();
        Assert.Equal(["a", "b", "c"], state.Events);
        Assert.Null(state.RecoveredFromSnapshotAt);
        Assert.Equal(3, state.LastSequenceNr);

        // and keeps numbering after the recovered events
        second.Tell("d");
        ExpectMsg("d");
        second.Tell(new Recorder.GetState());
        Assert.Equal(4, ExpectMsg<Recorder.State>().LastSequenceNr);
    }

    [Fact]
    public void Recovers_from_its_latest_snapshot_then_the_later_events()
    {
        var first = Sys.ActorOf(Recorder.Props("rec-2"));
        first.Tell("a");
        ExpectMsg("a");
        first.Tell("b");
        ExpectMsg("b");
        first.Tell(new Recorder.TakeSnapshot());
        ExpectMsg<SaveSnapshotSuccess>(s => s.Metadata.SequenceNr == 2);
        first.Tell("c");
        ExpectMsg("c");
        Stop(first);

        // The events under the snapshot go away: recovery must come from the snapshot.
        Journal.Tell(new DeleteMessagesTo("rec-2", 2, TestActor));
        ExpectMsg<DeleteMessagesSuccess>();

        var second = Sys.ActorOf(Recorder.Props("rec-2"));
        second.Tell(new Recorder.GetState());
        var state = ExpectMsg<Recorder.State>();
        Assert.Equal(["a", "b", "c"], state.Events);
        Assert.Equal(2, state.RecoveredFromSnapshotAt);
        Assert.Equal(3, state.LastSequenceNr);
    }

    [Fact]
    public void Keeps_its_sequence_numbers_after_all_events_were_deleted()
    {
        var first = Sys.ActorOf(Recorder.Props("rec-3"));
        first.Tell("a");
        ExpectMsg("a");
        first.Tell("b");
        ExpectMsg("b");
        Stop(first);
        Journal.Tell(new DeleteMessagesTo("rec-3", long.MaxValue, TestActor));
        ExpectMsg<DeleteMessagesSuccess>();

        var second = Sys.ActorOf(Recorder.Props("rec-3"));
        second.Tell(new Recorder.GetState());
        var state = ExpectMsg<Recorder.State>();
        Assert.Empty(state.Events);
        Assert.Equal(2, state.LastSequenceNr);
    }
}
