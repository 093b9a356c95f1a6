using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Actor;
using Akka.Pattern;
using Akka.Persistence;
using StackExchange.Redis;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>
/// Redis killed (SIGKILL) and restarted under the plugins, on a redis-server of each test's own (AOF with
/// an fsync per write, as production must run it): writes retry and land, nothing acknowledged is lost;
/// a write that cannot land within the retry budget fails the persist (OnPersistFailure, the actor stops),
/// never silently; the breaker then fails fast and closes again once Redis is back.
/// </summary>
public abstract class RedisOutageSpec : RedisPersistenceSpec
{
    protected RedisOutageSpec(RedisProcess redis, string hocon)
        : base(new DedicatedTarget(redis), hocon)
    {
        Redis = redis;
    }

    protected RedisProcess Redis { get; }

    protected static IActorRef Spawn(ActorSystem system, string pid, IActorRef? failures = null) =>
        system.ActorOf(Recorder.Props(pid, null, failures));

    protected Recorder.State StateOf(string pid)
    {
        var actor = Spawn(Sys, pid);
        actor.Tell(new Recorder.GetState(), TestActor);
        var state = ExpectMsg<Recorder.State>(TimeSpan.FromSeconds(20));
        Watch(actor);
        Sys.Stop(actor);
        ExpectTerminated(actor);
        return state;
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        Redis.Dispose();
    }

    /// <summary>The test's own server; its data goes with it.</summary>
    private sealed class DedicatedTarget(RedisProcess redis) : RedisTarget
    {
        private readonly Lazy<ConnectionMultiplexer> _inspector = new(() => ConnectionMultiplexer.Connect(redis.ConnectionString));

        public override string ConnectionString => redis.ConnectionString;

        public override bool Clustered => false;

        public override IDatabase Database(int db = 0) => _inspector.Value.GetDatabase(db);

        public override Task DeleteKeysAsync(string keyPrefix) => Task.CompletedTask;
    }
}

/// <summary>Writes under load ride out a Redis restart.</summary>
public sealed class RedisRestartUnderLoadTests() : RedisOutageSpec(RedisProcess.Start(durable: true), """
    akka.persistence.journal.redis.retry { max-duration = 15s, min-backoff = 20ms, max-backoff = 250ms }
    akka.persistence.snapshot-store.redis.retry { max-duration = 15s, min-backoff = 20ms, max-backoff = 250ms }
    """)
{
    private const int Writers = 8;

    [Fact(Timeout = 90_000)]
    public async Task Acknowledged_writes_survive_a_Redis_kill_and_restart_and_every_write_in_the_outage_lands()
    {
        var acked = Enumerable.Range(0, Writers).Select(_ => new ConcurrentQueue<(string Event, long At)>()).ToArray();
        var failures = CreateTestProbe();
        var clock = Stopwatch.StartNew();
        using var done = new CancellationTokenSource();
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var actor = Spawn(Sys, $"w-{w}", failures.Ref);
            for (var i = 1; !done.IsCancellationRequested; i++)
            {
                var e = $"e-{i}";
                await actor.Ask<string>(e, TimeSpan.FromSeconds(30));
                acked[w].Enqueue((e, clock.ElapsedMilliseconds));
            }
            Sys.Stop(actor);
        })).ToArray();

        // Load first, then the crash: every writer must have had events acknowledged before it.
        await WaitUntilAsync(() => acked.All(a => a.Count >= 20), TimeSpan.FromSeconds(30), "acks before the outage");
        var killedAt = clock.ElapsedMilliseconds;
        Redis.Kill();
        // The outage itself: Redis stays away this long, whatever the writers do meanwhile.
        await Task.Delay(TimeSpan.FromSeconds(1.5), TestContext.Current.CancellationToken);
        var restartedAt = clock.ElapsedMilliseconds;
        Redis.Restart();
        var upAt = clock.ElapsedMilliseconds;
        await WaitUntilAsync(() => acked.All(a => a.Count(x => x.At > upAt) >= 20), TimeSpan.FromSeconds(30), "acks after the restart");
        await done.CancelAsync();
        await Task.WhenAll(writers); // an Ask that failed (the actor stopped or timed out) fails the test here
        failures.ExpectNoMsg(TimeSpan.Zero);

        // Reads after the restart see every acknowledged event, in order, and nothing else.
        var firstAfter = long.MaxValue;
        var longestGap = 0L;
        for (var w = 0; w < Writers; w++)
        {
            var expected = acked[w].Select(a => a.Event).ToArray();
            Assert.Equal(expected, StateOf($"w-{w}").Events);
            Assert.Equal(expected.Length, await Target.Database().SortedSetLengthAsync(Keys.Journal($"w-{w}")));
            firstAfter = Math.Min(firstAfter, acked[w].Where(a => a.At > upAt).Min(a => a.At));
            var times = acked[w].Select(a => a.At).ToArray();
            for (var i = 1; i < times.Length; i++) longestGap = Math.Max(longestGap, times[i] - times[i - 1]);
        }
        var total = acked.Sum(a => a.Count);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"Redis restart under load: {Writers} writers, {total} events acknowledged; killed at {killedAt} ms, restarted at {restartedAt} ms " +
            $"(up at {upAt} ms); first ack after the restart {firstAfter - upAt} ms after it was up; longest wait for one write {longestGap} ms");
        Assert.True(total > Writers * 40);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_snapshot_saved_while_Redis_is_down_lands_once_it_is_back()
    {
        var metadata = new SnapshotMetadata("snap-outage", 7, DateTime.UtcNow);
        _ = SnapshotStore; // the store connects before the outage
        SnapshotStore.Tell(new SaveSnapshot(new SnapshotMetadata("snap-outage", 1, DateTime.UtcNow), "before"), TestActor);
        ExpectMsg<SaveSnapshotSuccess>();

        Redis.Kill();
        SnapshotStore.Tell(new SaveSnapshot(metadata, "during"), TestActor);
        ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // still retrying, not failed
        Redis.Restart();
        ExpectMsg<SaveSnapshotSuccess>(m => m.Metadata.Equals(metadata), TimeSpan.FromSeconds(15));

        SnapshotStore.Tell(new LoadSnapshot("snap-outage", SnapshotSelectionCriteria.Latest, long.MaxValue), TestActor);
        Assert.Equal("during", ExpectMsg<LoadSnapshotResult>().Snapshot?.Snapshot);
        Assert.Equal(2, await Target.Database().SortedSetLengthAsync(Keys.Snapshot("snap-outage")));
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan limit, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > limit) throw new TimeoutException($"no {what} within {limit.TotalSeconds} s");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}

/// <summary>Redis down for longer than the retry budget: the persist fails loudly, and the breaker opens and closes.</summary>
public sealed class RedisDownTests() : RedisOutageSpec(RedisProcess.Start(durable: true), """
    akka.persistence.journal.redis {
      retry { max-duration = 1s, min-backoff = 20ms, max-backoff = 200ms }
      circuit-breaker { max-failures = 2, call-timeout = 10s, reset-timeout = 1s }
    }
    """)
{
    [Fact(Timeout = 60_000)]
    public void A_write_that_cannot_land_within_the_retry_budget_fails_the_persist_and_stops_the_actor()
    {
        var failures = CreateTestProbe();
        var actor = Spawn(Sys, "down", failures.Ref);
        actor.Tell("a");
        ExpectMsg("a");
        Watch(actor);

        Redis.Kill();
        var clock = Stopwatch.StartNew();
        actor.Tell("b");
        var failed = failures.ExpectMsg<Recorder.PersistFailed>(TimeSpan.FromSeconds(15));
        var after = clock.Elapsed;
        ExpectTerminated(actor);
        Assert.Equal("b", failed.Event);
        Assert.Equal(2, failed.SequenceNr);
        Assert.IsType<RedisPersistenceUnavailableException>(failed.Cause);
        Assert.Contains("write failed after", failed.Cause.Message);
        // It gives up once the next wait would pass max-duration (1 s): the wait is max-backoff (200 ms) ± 20 % jitter, so
        // from 760 ms on (776 ms was seen); without retries it would fail within milliseconds.
        Assert.True(after >= TimeSpan.FromSeconds(0.75), $"gave up after {after.TotalMilliseconds} ms: it did not retry");
        ExpectNoMsg(TimeSpan.Zero); // "b" was never acknowledged

        Redis.Restart();
        var state = StateOf("down");
        Assert.Equal(["a"], state.Events);
        Assert.Equal(1, state.LastSequenceNr);
    }

    [Fact(Timeout = 60_000)]
    public void The_breaker_opens_after_repeated_failures_fails_fast_and_closes_once_Redis_is_back()
    {
        Journal.Tell(new WriteMessages([new AtomicWrite(Event("x", 1, "breaker"))], TestActor, 1));
        ExpectMsg<WriteMessagesSuccessful>();
        ExpectMsg<WriteMessageSuccess>();
        Redis.Kill();

        // max-failures = 2 failed calls (each after its retries) ...
        for (var seq = 2; seq <= 3; seq++)
        {
            Journal.Tell(new WriteMessages([new AtomicWrite(Event("x", seq, "breaker"))], TestActor, 1));
            ExpectMsg<WriteMessagesFailed>(m => m.Cause is RedisPersistenceUnavailableException, TimeSpan.FromSeconds(10));
            ExpectMsg<WriteMessageFailure>();
        }

        // ... open the breaker: the next call fails at once, without touching Redis.
        var clock = Stopwatch.StartNew();
        Journal.Tell(new WriteMessages([new AtomicWrite(Event("x", 4, "breaker"))], TestActor, 1));
        ExpectMsg<WriteMessagesFailed>(m => m.Cause is OpenCircuitException);
        ExpectMsg<WriteMessageFailure>();
        Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(900), $"open breaker took {clock.ElapsedMilliseconds} ms");

        // Redis back: after reset-timeout a trial call goes through and closes the breaker.
        Redis.Restart();
        var back = Stopwatch.StartNew();
        var seqNr = 5L;
        while (true)
        {
            Journal.Tell(new WriteMessages([new AtomicWrite(Event("x", seqNr, "breaker"))], TestActor, 1));
            var reply = ExpectMsg<object>(TimeSpan.FromSeconds(10));
            ExpectMsg<object>(); // the per-event reply
            if (reply is WriteMessagesSuccessful) break;
            seqNr++;
            Assert.True(back.Elapsed < TimeSpan.FromSeconds(20), "the breaker never closed");
            ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // pacing between attempts
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"breaker closed {back.ElapsedMilliseconds} ms after Redis was back (reset-timeout 1 s)");
        Journal.Tell(new WriteMessages([new AtomicWrite(Event("x", seqNr + 1, "breaker"))], TestActor, 1));
        ExpectMsg<WriteMessagesSuccessful>();
        ExpectMsg<WriteMessageSuccess>();
    }
}
