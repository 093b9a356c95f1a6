using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Akka.Persistence;
using Rtmfp.Cluster;
using Rtmfp.Cluster.Persistence;

namespace Rtmfp.Bench;

/// <summary>
/// What one sharded session entity's life cycle costs in Akka.NET alone, with no RTMFP in it (docs/benchmarks.md,
/// "The floor of a sharded, persistent entity"): a driver actor (standing in for the gateway) tells the shard region
/// to open a new entity ID, the entity answers, takes one request and its answer from the driver directly (the ping),
/// then a close, after which it passivates through its shard, as a session does. With <c>--persistent</c> the entity
/// is a persistent actor on the in-memory journal, configured as the node configures it: it recovers (nothing), writes
/// one event before it answers the open and deletes it on close. Process CPU per life cycle over the measured ones,
/// less the process's idle rate over the same window; run it pinned to one core (bench/entity-floor.sh), as the
/// session-setup bench runs the node.
/// </summary>
internal static class EntityFloor
{
    private const string Usage = "entity-floor [--persistent] [-n N (20000)] [--warmup N (20000)] [-c in-flight (8)] [--idle s (5)]";

    public static int Run(string[] args)
    {
        bool persistent = false;
        int measured = 20_000, warmup = 20_000, concurrency = 8;
        double idleSeconds = 5;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--persistent": persistent = true; break;
                case "-n" when i + 1 < args.Length && int.TryParse(args[i + 1], out measured) && measured > 0: i++; break;
                case "--warmup" when i + 1 < args.Length && int.TryParse(args[i + 1], out warmup) && warmup >= 0: i++; break;
                case "-c" when i + 1 < args.Length && int.TryParse(args[i + 1], out concurrency) && concurrency > 0: i++; break;
                case "--idle" when i + 1 < args.Length && double.TryParse(args[i + 1], out idleSeconds) && idleSeconds > 0: i++; break;
                default:
                    Console.Error.WriteLine($"entity-floor: cannot read '{args[i]}'. Usage: {Usage}");
                    return 2;
            }
        }
        return RunAsync(persistent, measured, warmup, concurrency, idleSeconds).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(bool persistent, int measured, int warmup, int concurrency, double idleSeconds)
    {
        using var system = ActorSystem.Create("floor", Config);
        var cluster = Akka.Cluster.Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        cluster.Join(cluster.SelfAddress);
        if (await Task.WhenAny(up.Task, Task.Delay(TimeSpan.FromSeconds(30))) != up.Task)
        {
            Console.Error.WriteLine("entity-floor: the one-node cluster did not come up within 30 s");
            return 1;
        }
        // The node's regions' settings and allocation strategy (ReachableShardRegionHosting).
        var region = ClusterSharding.Get(system).Start("floor",
            entityId => persistent ? DelegateProps.Create(() => new PersistentEntity(entityId)) : DelegateProps.Create(() => new PlainEntity()),
            ReachableShardRegionHosting.EntitySettings(system), new Extractor(ShardCount), new ReachableRegionsAllocationStrategy(),
            PoisonPill.Instance);
        var driver = system.ActorOf(Props.Create(() => new Driver(region, concurrency)), "driver");

        await RoundAsync(driver, warmup);
        await Task.Delay(TimeSpan.FromSeconds(1)); // the last entities' stops
        var idleStart = Cpu.Read();
        await Task.Delay(TimeSpan.FromSeconds(idleSeconds));
        var idleEnd = Cpu.Read();
        double idleRate = (idleEnd.Total - idleStart.Total) / (idleEnd.Wall - idleStart.Wall); // CPU seconds per second

        var start = Cpu.Read();
        await RoundAsync(driver, measured);
        await Task.Delay(TimeSpan.FromSeconds(1));
        var end = Cpu.Read();
        double wall = end.Wall - start.Wall;
        double perCycleMs = (end.Total - start.Total) * 1000 / measured;
        double netMs = (end.Total - start.Total - idleRate * wall) * 1000 / measured;
        Console.WriteLine($"entity-floor: {(persistent ? "persistent" : "plain")} entity, {measured} life cycles after {warmup}, " +
            $"{concurrency} in flight, {ShardCount} shards, {Environment.ProcessorCount} processor(s)");
        Console.WriteLine($"per-cycle-ms={perCycleMs:F4} net-of-idle-ms={netMs:F4} user-ms={(end.User - start.User) * 1000 / measured:F4} " +
            $"system-ms={(end.Total - end.User - start.Total + start.User) * 1000 / measured:F4} idle-pct={idleRate * 100:F2} " +
            $"wall-s={wall:F2} work-items-per-cycle={(double)(end.WorkItems - start.WorkItems) / measured:F1}");
        await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance);
        return 0;
    }

    /// <summary>The node's default (Rtmfp:Sessions:ShardCount).</summary>
    private const int ShardCount = 100;

    private static async Task RoundAsync(IActorRef driver, int cycles)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        driver.Tell(new Round(cycles, done));
        if (await Task.WhenAny(done.Task, Task.Delay(TimeSpan.FromMinutes(5))) != done.Task)
        {
            throw new TimeoutException($"{cycles} entity life cycles did not end within 5 minutes");
        }
    }

    // The node's Akka settings that a session entity's life cycle passes through (src/Node/NodeComposition.cs): its
    // scheduler, the sharding coordinator's state on one node, its in-memory journal (without the replay filter) and
    // snapshot store.
    private static Config Config => ConfigurationFactory.ParseString($@"
        akka.loglevel = WARNING
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp.hostname = 127.0.0.1
        akka.remote.dot-netty.tcp.port = 0
        akka.cluster.sharding.coordinator-state.write-majority-plus = 0
        akka.cluster.sharding.coordinator-state.read-majority-plus = 0
        akka.cluster.sharding.distributed-data.majority-min-cap = 1
        akka.cluster.sharding.distributed-data.durable.keys = []
        akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
        akka.scheduler.implementation = ""{typeof(DeadlineScheduler).AssemblyQualifiedName}""
        {InMemoryPersistenceHosting.Hocon}");

    private readonly record struct Cpu(double Total, double User, double Wall, long WorkItems)
    {
        public static Cpu Read()
        {
            using var process = Process.GetCurrentProcess();
            return new Cpu(process.TotalProcessorTime.TotalSeconds, process.UserProcessorTime.TotalSeconds,
                Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency, ThreadPool.CompletedWorkItemCount);
        }
    }

    private interface IEntityMessage
    {
        string EntityId { get; }
    }

    private sealed record Open(string EntityId, IActorRef Driver) : IEntityMessage;

    private sealed record Opened(IActorRef Entity);

    private sealed class Ping
    {
        public static readonly Ping Instance = new();
    }

    private sealed class Pong
    {
        public static readonly Pong Instance = new();
    }

    private sealed class Close
    {
        public static readonly Close Instance = new();
    }

    private sealed class Closed
    {
        public static readonly Closed Instance = new();
    }

    private sealed record Round(int Cycles, TaskCompletionSource Done);

    private sealed record EntityStarted(string EntityId);

    private sealed class Extractor(int shards) : HashCodeMessageExtractor(shards)
    {
        public override string EntityId(object message) => (message as IEntityMessage)?.EntityId!;
    }

    /// <summary>The gateway's part: a new entity ID per life cycle (a new session ID), a fixed number in flight.</summary>
    private sealed class Driver : ReceiveActor
    {
        private readonly IActorRef _region;
        private readonly int _concurrency;
        private long _nextId;
        private int _toStart;
        private int _toFinish;
        private TaskCompletionSource? _done;

        public Driver(IActorRef region, int concurrency)
        {
            _region = region;
            _concurrency = concurrency;
            Receive<Round>(r =>
            {
                _toStart = r.Cycles;
                _toFinish = r.Cycles;
                _done = r.Done;
                for (int i = 0; i < _concurrency && _toStart > 0; i++)
                {
                    StartOne();
                }
            });
            Receive<Opened>(o => o.Entity.Tell(Ping.Instance));
            Receive<Pong>(_ => Sender.Tell(Close.Instance));
            Receive<Closed>(_ =>
            {
                if (--_toFinish == 0)
                {
                    _done?.TrySetResult();
                }
                else if (_toStart > 0)
                {
                    StartOne();
                }
            });
        }

        private void StartOne()
        {
            _toStart--;
            _region.Tell(new Open((++_nextId).ToString("x8"), Self));
        }
    }

    private sealed class PlainEntity : ReceiveActor
    {
        public PlainEntity()
        {
            Receive<Open>(o => o.Driver.Tell(new Opened(Self)));
            Receive<Ping>(_ => Sender.Tell(Pong.Instance));
            Receive<Close>(_ =>
            {
                Sender.Tell(Closed.Instance);
                Context.Parent.Tell(new Passivate(PoisonPill.Instance));
            });
        }
    }

    /// <summary>A session entity's persistence (src/Sessions/SessionActor.Persistence.cs) without the session.</summary>
    private sealed class PersistentEntity : ReceivePersistentActor
    {
        public PersistentEntity(string entityId)
        {
            PersistenceId = "floor-" + entityId;
            Recover<EntityStarted>(_ => { });
            Command<Open>(o => Persist(new EntityStarted(o.EntityId), _ => o.Driver.Tell(new Opened(Self))));
            Command<Ping>(_ => Sender.Tell(Pong.Instance));
            Command<Close>(_ =>
            {
                // As ForgetRecord: the delete's answer goes nowhere, the entity passivates at once.
                var journal = Akka.Persistence.Persistence.Instance.Apply(Context.System).JournalFor(JournalPluginId);
                journal.Tell(new DeleteMessagesTo(PersistenceId, LastSequenceNr, ActorRefs.Nobody), ActorRefs.Nobody);
                journal.Tell(new ForgetPersistenceId(PersistenceId, LastSequenceNr), ActorRefs.Nobody);
                Sender.Tell(Closed.Instance);
                Context.Parent.Tell(new Passivate(PoisonPill.Instance));
            });
        }

        public override string PersistenceId { get; }
    }
}
