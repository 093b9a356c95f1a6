using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Rtmfp.Cluster;
using Rtmfp.Flash;
using Rtmfp.Sessions.Groups;
using Rtmfp.Sessions.Groups.Seeding;
using Rtmfp.Sessions.Rendezvous;
using Rtmfp.Sessions.Streams;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Sessions;

/// <summary>What the sessions role needs: entity sharding, the session engine's timers and the Flash applications.</summary>
public sealed record SessionsRoleOptions(
    int ShardCount,
    SessionActorSettings Sessions,
    ApplicationRegistry Applications,
    RtmfpMetrics? Metrics)
{
    /// <summary>NetGroup settings; the group entities run where the groups role is (or behind a proxy).</summary>
    public GroupPolicy Groups { get; init; } = GroupPolicy.Default;

    /// <summary>Streams server members seed into groups (docs/groups.md §7), and where their figures go.</summary>
    public IReadOnlyList<GroupSeed> Seeds { get; init; } = [];

    public GroupSeedStatistics SeedStatistics { get; init; } = new();

    /// <summary>The NetConnection policy of every session (its media lifetimes also set what the node's fan-out drops as stale).</summary>
    public NetConnectionOptions ConnectionOptions { get; init; } = NetConnectionOptions.Default;

    /// <summary>The host's loggers, for the sessions' Information lines (SessionLog); none: not written.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? Loggers { get; init; }
}

/// <summary>The sessions role: session entities, and the stream and peer directory entities beside them.</summary>
public static class SessionsHosting
{
    /// <summary>Wraps an application so its decisions (connects, publishes, plays, group joins) are logged at Information.</summary>
    public static IFlashApplication LogDecisions(IFlashApplication application, Microsoft.Extensions.Logging.ILoggerFactory loggers) =>
        new LoggedApplication(application, loggers.CreateLogger("Rtmfp.Sessions.Application"));

    public static AkkaConfigurationBuilder WithSessionsRole(this AkkaConfigurationBuilder akka, SessionsRoleOptions options)
    {
        // Stream entities (one per published name) and rendezvous entries (one per connected peer ID) live
        // beside the sessions; both passivate themselves when nobody needs them.
        // Stream entities (one per published name) and rendezvous entries (one per connected peer ID) live
        // beside the sessions; both passivate themselves when nobody needs them. Every region allocates new shards
        // to reachable nodes only (ReachableRegionsAllocationStrategy).
        akka.WithReachableShardRegion<StreamRegion>(
            ClusterRoles.StreamShard,
            _ => entityId => DelegateProps.Create(() => new StreamActor(entityId, StreamActor.DefaultIdleTimeout, options.Metrics, options.Sessions.Directory)),
            new StreamMessageExtractor(options.ShardCount),
            ClusterRoles.Sessions);
        akka.WithReachableShardRegion<PeerDirectoryRegion>(
            ClusterRoles.PeerDirectoryShard,
            _ => entityId => DelegateProps.Create(() => new PeerDirectoryActor(entityId)),
            new PeerDirectoryMessageExtractor(options.ShardCount),
            ClusterRoles.Sessions);
        var fanouts = WithGroupSeeds(akka, options);
        var streamFanout = WithStreamFanout(akka, options.Metrics, options.ConnectionOptions);
        akka.WithReachableShardRegion<SessionRegion>(
            ClusterRoles.SessionShard,
            registry =>
            {
                var flash = new FlashServices(options.Applications)
                {
                    ConnectionOptions = options.ConnectionOptions,
                    StreamRegion = () => registry.Get<StreamRegion>(),
                    PeerDirectory = () => registry.Get<PeerDirectoryRegion>(),
                    GroupRegion = () => registry.TryGet<GroupRegion>(out var groups) ? groups : ActorRefs.Nobody,
                    Groups = options.Groups with { SeedMembers = options.Seeds.ToDictionary(s => s.GroupIdHex, s => s.Identity.PeerId) },
                    Seeds = options.Seeds,
                    SeedFanouts = fanouts,
                    StreamFanout = streamFanout,
                    SeedStatistics = options.SeedStatistics,
                    Logger = options.Loggers?.CreateLogger("Rtmfp.Sessions.Session"),
                };
                return entityId => SessionProps(entityId, options.Sessions, options.Metrics, flash);
            },
            new SessionMessageExtractor(options.ShardCount),
            ClusterRoles.Sessions,
            SessionHandOff.Instance);
        akka.AddHocon(CompactMailbox.Hocon, HoconAddMode.Append);
        akka.WithActors((system, _) => SessionBacklog.For(system).Metrics = options.Metrics);
        return akka;
    }

    /// <summary>This node's stream fan-out (docs/decisions.md, "Stream fan-out"): one actor that delivers to the node's players.</summary>
    private static StreamFanout WithStreamFanout(AkkaConfigurationBuilder akka, RtmfpMetrics? metrics, NetConnectionOptions players)
    {
        var fanout = new StreamFanout { Metrics = metrics, Freshness = new StaleMediaFilter(players.AudioLifetime, players.VideoLifetime) };
        akka.AddHocon(StreamFanout.DispatcherHocon, HoconAddMode.Append);
        akka.WithActors((system, _) => fanout.Start(system));
        return fanout;
    }

    /// <summary>
    /// A session entity's props: on the compact mailbox (issue 9: live heap per idle session), with one deployment
    /// shared by every entity (<see cref="Props.WithMailbox"/> would copy it into each one).
    /// </summary>
    internal static Props SessionProps(string entityId, SessionActorSettings settings, RtmfpMetrics? metrics, FlashServices flash) =>
        DelegateProps.Create(() => new SessionActor(entityId, settings, metrics, flash)).WithDeploy(SessionDeploy);

    private static readonly Deploy SessionDeploy = Deploy.None.WithMailbox(CompactMailbox.Id);

    /// <summary>
    /// docs/groups.md §7: a seed source entity per seeded group (sharded beside the sessions) and, on this node, one
    /// fan-out per seeded group that the node's member sessions use. Nothing when no seed is configured.
    /// </summary>
    private static SeedFanouts? WithGroupSeeds(AkkaConfigurationBuilder akka, SessionsRoleOptions options)
    {
        if (options.Seeds.Count == 0)
        {
            return null;
        }
        var fanouts = new SeedFanouts();
        akka.WithReachableShardRegion<GroupSeedRegion>(
            ClusterRoles.GroupSeedShard,
            registry => entityId => DelegateProps.Create(() => new SeedSourceActor(entityId, options.Seeds, () => registry.Get<StreamRegion>(), options.SeedStatistics)),
            new GroupMessageExtractor(options.ShardCount),
            ClusterRoles.Sessions);
        akka.WithActors((system, registry) =>
        {
            foreach (var seed in options.Seeds)
            {
                var fanout = system.ActorOf(Props.Create(() => new SeedFanoutActor(seed, () => registry.Get<GroupSeedRegion>(), options.SeedStatistics)),
                    "group-seed-" + seed.GroupIdHex[..16]);
                fanouts.Add(seed.GroupIdHex, fanout);
            }
        });
        return fanouts;
    }
}
