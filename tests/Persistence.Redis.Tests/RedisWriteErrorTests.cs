using Akka.Actor;
using Akka.Persistence;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>
/// A command failing inside MULTI/EXEC (ZADD on a key of the wrong type) must fail the write, not
/// pass as success: Redis does not roll back, so the outcome is uncertain and Akka wants a failure.
/// </summary>
public sealed class RedisWriteErrorTests : RedisPersistenceSpec
{
    private void Break(string persistenceId) =>
        RedisTestServer.Database().StringSet($"{KeyPrefix}journal:persisted:{persistenceId}", "not a sorted set");

    [Fact]
    public void Fails_the_write_when_a_command_inside_the_transaction_fails()
    {
        Break("broken");
        Journal.Tell(new WriteMessages([new AtomicWrite(Event("a-1", 1, "broken"))], TestActor, 1));
        ExpectMsg<WriteMessagesFailed>(m => m.Cause.Message.Contains("WRONGTYPE", StringComparison.Ordinal));
        ExpectMsg<WriteMessageFailure>(m => m.Persistent.SequenceNr == 1);
    }

    [Fact]
    public void Stops_a_persistent_actor_whose_event_cannot_be_stored()
    {
        // No high-water key: recovery reads highest = 0 and replays nothing, so only the write fails.
        Break("broken-actor");
        var actor = Sys.ActorOf(Recorder.Props("broken-actor"));
        Watch(actor);
        actor.Tell(new Recorder.GetState());
        ExpectMsg<Recorder.State>(s => s.LastSequenceNr == 0);
        actor.Tell("a");
        ExpectTerminated(actor);
    }
}
