using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence.TestKit;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>
/// The contract the Redis plugin is built to (Akka.Persistence.TestKit's journal, failures injected):
/// a write that fails calls OnPersistFailure and stops the actor; a write that is rejected calls
/// OnPersistRejected and the actor goes on. The Redis specs show which the plugin produces: Redis errors
/// and exhausted retries fail (JournalConformance, RedisDownTests), unserializable events are rejected.
/// </summary>
public sealed class InjectedJournalFailureTests() : Akka.TestKit.Xunit.TestKit(ConfigurationFactory.ParseString("""
    akka.loglevel = WARNING
    akka.persistence.journal.plugin = "akka.persistence.journal.test"
    akka.persistence.journal.test {
      class = "Akka.Persistence.TestKit.TestJournal, Akka.Persistence.TestKit"
      plugin-dispatcher = "akka.actor.default-dispatcher"
    }
    akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
    """), "injected")
{
    private ITestJournal TestJournal =>
        Akka.Persistence.TestKit.TestJournal.FromRef(Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null));

    [Fact(Timeout = 30_000)]
    public async Task A_failed_write_calls_OnPersistFailure_and_stops_the_actor()
    {
        var failures = CreateTestProbe();
        var actor = Sys.ActorOf(Recorder.Props("injected-fail", null, failures.Ref));
        actor.Tell("a");
        await ExpectMsgAsync("a");
        Watch(actor);

        await TestJournal.OnWrite.Fail();
        actor.Tell("b");
        var failed = await failures.ExpectMsgAsync<Recorder.PersistFailed>();
        Assert.Equal("b", failed.Event);
        await ExpectTerminatedAsync(actor);
        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100)); // "b" never acknowledged
    }

    [Fact(Timeout = 30_000)]
    public async Task A_rejected_write_calls_OnPersistRejected_and_the_actor_goes_on()
    {
        var failures = CreateTestProbe();
        var actor = Sys.ActorOf(Recorder.Props("injected-reject", null, failures.Ref));
        actor.Tell("a");
        await ExpectMsgAsync("a");

        await TestJournal.OnWrite.Reject();
        actor.Tell("b");
        Assert.Equal("b", (await failures.ExpectMsgAsync<Recorder.PersistRejected>()).Event);

        await TestJournal.OnWrite.Pass();
        actor.Tell("c");
        await ExpectMsgAsync("c");
        actor.Tell(new Recorder.GetState());
        Assert.Equal(["a", "c"], (await ExpectMsgAsync<Recorder.State>()).Events);
    }
}
