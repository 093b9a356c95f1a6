using Akka.Actor;
using Akka.Persistence;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>
/// Both plugins pointed at a closed loopback port: every operation must come back as the protocol's
/// failure message (a Redis error fails the whole write, unlike a serialization rejection). Retries are
/// off here (RedisDownTests covers them), so each failure comes from the first attempt.
/// </summary>
public sealed class UnreachableRedisTests() : RedisPersistenceSpec($$"""
    akka.persistence.journal.redis.configuration-string = "{{ClosedEndPoint}}"
    akka.persistence.snapshot-store.redis.configuration-string = "{{ClosedEndPoint}}"
    akka.persistence.journal.redis.retry.max-duration = 0s
    akka.persistence.snapshot-store.redis.retry.max-duration = 0s
    """)
{
    // Nothing listens on port 1; connectTimeout keeps the refusal fast.
    internal const string ClosedEndPoint = "127.0.0.1:1,connectTimeout=300,connectRetry=0";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public void Fails_the_whole_write_when_Redis_cannot_be_reached()
    {
        var writes = new IPersistentEnvelope[]
        {
            new AtomicWrite(Event("a-1", 1, "down")),
            new AtomicWrite(Event("a-2", 2, "down")),
        };
        Journal.Tell(new WriteMessages(writes, TestActor, 1));
        ExpectMsg<WriteMessagesFailed>(m => m.WriteCount == 2, Patience);
        ExpectMsg<WriteMessageFailure>(m => m.Persistent.SequenceNr == 1);
        ExpectMsg<WriteMessageFailure>(m => m.Persistent.SequenceNr == 2);
    }

    [Fact]
    public void Fails_replay_when_Redis_cannot_be_reached()
    {
        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, "down", TestActor));
        ExpectMsg<ReplayMessagesFailure>(Patience);
    }

    [Fact]
    public void Fails_snapshot_save_and_load_when_Redis_cannot_be_reached()
    {
        var metadata = new SnapshotMetadata("down", 1, DateTime.UtcNow);
        SnapshotStore.Tell(new SaveSnapshot(metadata, "s"), TestActor);
        ExpectMsg<SaveSnapshotFailure>(Patience);
        SnapshotStore.Tell(new LoadSnapshot("down", SnapshotSelectionCriteria.Latest, long.MaxValue), TestActor);
        ExpectMsg<LoadSnapshotFailed>(Patience);
    }

    [Fact]
    public void Stops_a_persistent_actor_that_cannot_recover()
    {
        var actor = Sys.ActorOf(Recorder.Props("down-actor"));
        Watch(actor);
        actor.Tell("a");
        ExpectTerminated(actor, Patience);
    }
}
