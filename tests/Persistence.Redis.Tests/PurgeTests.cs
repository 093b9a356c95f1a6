using Akka.Actor;
using Akka.Persistence;
using Rtmfp.Persistence.Redis.Journal;
using StackExchange.Redis;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>
/// <see cref="PurgePersistenceId"/> on a real Redis: persistent actors that open, write, snapshot and close as session
/// actors do (delete their events and snapshots, then purge) leave no key behind, however many; deletes alone keep the
/// high-water key (a live persistence ID never restarts its numbering); a purge never takes a key a later writer raised.
/// </summary>
public sealed class PurgeTests : RedisPersistenceSpec
{
    public PurgeTests() => StartPlugins();

    /// <summary>Writes a few events and a snapshot, then on "close" forgets its record the way SessionActor does.</summary>
    private sealed class SessionLike : ReceivePersistentActor
    {
        public SessionLike(string persistenceId, IActorRef probe, bool purge)
        {
            PersistenceId = persistenceId;
            Recover<string>(_ => { });
            Command<string>(e =>
            {
                switch (e)
                {
                    case "close":
                        DeleteMessages(LastSequenceNr);
                        DeleteSnapshots(new SnapshotSelectionCriteria(long.MaxValue));
                        if (purge)
                        {
                            Akka.Persistence.Persistence.Instance.Apply(Context.System).JournalFor(JournalPluginId)
                                .Tell(new PurgePersistenceId(PersistenceId, LastSequenceNr), probe);
                        }
                        else
                        {
                            probe.Tell("closed");
                        }
                        return;
                    case "snapshot":
                        SaveSnapshot(LastSequenceNr);
                        return;
                    default:
                        Persist(e, _ => probe.Tell(e));
                        return;
                }
            });
            Command<SaveSnapshotSuccess>(s => probe.Tell(s));
            Command<DeleteMessagesSuccess>(_ => { });
            Command<DeleteSnapshotsSuccess>(_ => { });
        }

        public override string PersistenceId { get; }
    }

    private int KeyCount()
    {
        // KEYS inside a script: the driver refuses it outside admin mode (a test Redis of its own, so it is cheap).
        return (int)Target.Database().ScriptEvaluate("return #redis.call('KEYS', ARGV[1])", null, [KeyPrefix + "*"]);
    }

    private IActorRef OpenAndWrite(string pid, bool purge)
    {
        var actor = Sys.ActorOf(Props.Create(() => new SessionLike(pid, TestActor, purge)));
        foreach (var e in new[] { "open", "call", "answer" })
        {
            actor.Tell(e);
            ExpectMsg(e);
        }
        actor.Tell("snapshot");
        ExpectMsg<SaveSnapshotSuccess>();
        actor.Tell("checkpoint");
        ExpectMsg("checkpoint");
        return actor;
    }

    private void Close(IActorRef actor, bool purge)
    {
        actor.Tell("close");
        if (purge)
        {
            Assert.True(ExpectMsg<PersistenceIdPurged>().KeyDeleted);
        }
        else
        {
            ExpectMsg("closed");
        }
        Sys.Stop(actor);
    }

    private void OpenWriteClose(string pid, bool purge) => Close(OpenAndWrite(pid, purge), purge);

    private async Task<int> SettledKeyCountAsync(int expected)
    {
        // Deletes complete asynchronously beside the purge: what is left settles within a moment.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (KeyCount() > expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        return KeyCount();
    }

    [Fact(Timeout = 60_000)]
    public async Task Many_sessions_that_open_and_close_leave_no_key()
    {
        await Task.Yield();
        const int sessions = 100;
        int before = KeyCount();
        var actors = Enumerable.Range(0, sessions).Select(i => OpenAndWrite($"rtmfp-session-{i:x8}", purge: true)).ToList();
        int open = KeyCount();
        foreach (var actor in actors)
        {
            Close(actor, purge: true);
        }
        int after = await SettledKeyCountAsync(before);
        TestContext.Current.TestOutputHelper?.WriteLine($"keys with the prefix: {before} before, {open} with {sessions} sessions open, {after} after they closed");
        Assert.True(open >= 2 * sessions, $"{open} keys open"); // events, high-water mark and snapshot of each
        Assert.Equal(before, after);
    }

    [Fact(Timeout = 60_000)]
    public async Task Without_the_purge_each_closed_session_leaves_its_high_water_key_and_numbering_never_restarts()
    {
        await Task.Yield();
        OpenWriteClose("kept-1", purge: false);
        OpenWriteClose("kept-2", purge: false);
        Assert.Equal(2, await SettledKeyCountAsync(2));
        Assert.Equal("4", (string?)Target.Database().StringGet(Keys.HighestSequenceNr("kept-1")));
        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, "kept-1", TestActor));
        Assert.Equal(4, ExpectMsg<RecoverySuccess>().HighestSequenceNr);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_purge_below_what_a_later_writer_wrote_deletes_nothing_of_it()
    {
        await Task.Yield();
        var actor = Sys.ActorOf(Props.Create(() => new SessionLike("raced", TestActor, false)));
        foreach (var e in new[] { "a", "b", "c" })
        {
            actor.Tell(e);
            ExpectMsg(e);
        }
        // A purge for an older incarnation that ended at 2: event 3 and the key (3) stay.
        Journal.Tell(new PurgePersistenceId("raced", 2), TestActor);
        var purged = ExpectMsg<PersistenceIdPurged>();
        Assert.False(purged.KeyDeleted);
        Assert.Null(purged.Failure);
        Assert.Equal(1, Target.Database().SortedSetLength(Keys.Journal("raced")));
        Assert.Equal("3", (string?)Target.Database().StringGet(Keys.HighestSequenceNr("raced")));
        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, "raced", TestActor));
        Assert.Equal(3, ExpectMsg<ReplayedMessage>().Persistent.SequenceNr);
        Assert.Equal(3, ExpectMsg<RecoverySuccess>().HighestSequenceNr);
    }
}
