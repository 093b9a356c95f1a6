using Akka.Hosting;
using Akka.Remote.Hosting;
using Akka.Remote.Transport.DotNetty;
using Akka.Cluster.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Rtmfp.Cluster;
using Rtmfp.Cluster.Persistence;
using Rtmfp.Flash;
using Rtmfp.Gateway;
using Rtmfp.Groups;
using Rtmfp.Node.Settings;
using Rtmfp.Persistence.Redis.Health;
using Rtmfp.Persistence.Redis.Hosting;
using Rtmfp.Rtmp;
using Rtmfp.Sessions;
using Rtmfp.Sessions.Groups;
using Rtmfp.Shared.Crypto;
using Rtmfp.Ops.Inspection;
using Rtmfp.Shared.Operations;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Node;

/// <summary>
/// Wires one node's actor system from its settings: remoting, clustering, persistence, then each role this node
/// plays through that role's own hosting extension (<see cref="GatewayHosting"/>, <see cref="SessionsHosting"/>,
/// <see cref="GroupsHosting"/>).
/// </summary>
internal static class NodeComposition
{
    /// <summary>Largest remote message: a big video keyframe with its headers.</summary>
    public const int MaxRemoteFrameSize = 4 * 1024 * 1024;

    public static void Configure(AkkaConfigurationBuilder akka, IServiceProvider services, NodeSettings settings)
    {
        var roles = new List<string>();
        if (settings.Roles.HasFlag(NodeRoles.Gateway)) roles.Add(ClusterRoles.Gateway);
        if (settings.Roles.HasFlag(NodeRoles.Sessions)) roles.Add(ClusterRoles.Sessions);
        if (settings.Roles.HasFlag(NodeRoles.Groups)) roles.Add(ClusterRoles.Groups);

        var remote = new RemoteOptions
        {
            HostName = settings.Cluster.Hostname,
            Port = settings.Cluster.Port,
            PublicHostName = settings.Cluster.PublicHostname,
            // Media frames cross nodes whole (PublishStreamFrame, StreamEventDelivery): a keyframe can exceed
            // the transport's default 128,000-byte frame.
            MaxFrameSize = MaxRemoteFrameSize,
        };
        if (settings.Cluster.Tls is { } tls)
        {
            remote.EnableSsl = true;
            remote.Ssl = ClusterTls(tls);
        }
        NodeLogging.BridgeAkka(akka, services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>());
        akka.WithRemoting(remote)
            // Gateway, session, stream and directory messages between nodes (compact binary, pooled buffers).
            .WithClusterMessageSerializers()
            .WithClustering(new ClusterOptions
            {
                Roles = roles.ToArray(),
                SeedNodes = settings.Cluster.SeedNodes.ToArray(),
            });

        // Failure handling for a UDP media service (issue 9; docs/decisions.md, "Crash recovery timing"): a node that
        // stops answering heartbeats is marked unreachable after about HeartbeatInterval + HeartbeatPause and, the
        // membership otherwise stable for DownAfter, downed by the majority (keep-majority; equal halves keep the side
        // with the oldest node). Its shards and singletons move RemovalMargin after its removal (Akka uses DownAfter when
        // no margin is set). The shard coordinators keep their state in distributed data with plain majorities: Akka's
        // defaults (majority-min-cap 5, majority plus 3/5) mean "every node" below five nodes, so each allocation
        // waited on the dead node until it was removed (5 s timeouts, retried). Nothing durable is needed: entities
        // are not remembered, so no LMDB store.
        var c = settings.Cluster;
        akka.AddHocon($@"
            akka.cluster.downing-provider-class = ""Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster""
            akka.cluster.split-brain-resolver.active-strategy = keep-majority
            akka.cluster.split-brain-resolver.stable-after = {Ms(c.DownAfter)}
            akka.cluster.down-removal-margin = {Ms(c.RemovalMargin)}
            akka.cluster.failure-detector.heartbeat-interval = {Ms(c.HeartbeatInterval)}
            akka.cluster.failure-detector.acceptable-heartbeat-pause = {Ms(c.HeartbeatPause)}
            # Akka checks for unreachable nodes, and its leader removes downed ones, once a second: up to 2 s of the
            # recovery. A quarter second costs a timer tick; Down and Removed spread by gossip, twice a second.
            akka.cluster.unreachable-nodes-reaper-interval = 250ms
            akka.cluster.leader-actions-interval = 250ms
            akka.cluster.gossip-interval = 500ms
            # A joining node asks its seeds again after seed-node-timeout when none welcomed it. Two seeds started
            # together both ask before either is a member; at Akka's 5 s the second then idled 5 s after the first
            # had formed the cluster (measured on three nodes started at once, docs/testing.md). An InitJoin is one
            # small message per seed: asking every second costs nothing and bounds that wait to a second.
            akka.cluster.seed-node-timeout = 1s
            akka.cluster.sharding.retry-interval = {Ms(c.ShardRetryInterval)}
            akka.cluster.sharding.coordinator-state.write-majority-plus = 0
            akka.cluster.sharding.coordinator-state.read-majority-plus = 0
            akka.cluster.sharding.distributed-data.majority-min-cap = 1
            akka.cluster.sharding.distributed-data.durable.keys = []
            # SIGTERM stops the host in order (gateway drain first, then Akka's coordinated shutdown through
            # Akka.Hosting): Akka's own CLR hook would leave the cluster before the sessions could close.
            akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
            # Akka's wheel scheduler wakes every tick, work or not: at 10 ms that was most of an idle node's 2.8 % of a
            # core (1.9 % at 20 ms; docs/benchmarks.md). Ours sleeps until the next deadline (DeadlineScheduler); the
            # sessions' retransmission and acknowledgement timers run on their own wheel (SessionTimerWheel).
            akka.scheduler.implementation = ""{typeof(DeadlineScheduler).AssemblyQualifiedName}""",
            HoconAddMode.Prepend);

        if (settings.Persistence.Provider == PersistenceProvider.Memory)
        {
            // Ours, not Akka's test journal, which keeps every event ever written (its deletes are logical).
            akka.WithInMemoryPersistence();
        }
        else
        {
            akka.WithRedisPersistence(settings.Persistence.RedisConfiguration!, settings.Persistence.KeyPrefix);
        }

        bool sessionsHere = settings.Roles.HasFlag(NodeRoles.Sessions);
        if (sessionsHere)
        {
            akka.WithSessionsRole(new SessionsRoleOptions(
                settings.Sessions.ShardCount,
                new SessionActorSettings(settings.Sessions.IdleTimeout, settings.Sessions.KeepaliveInterval)
                {
                    Directory = services.GetRequiredService<NodeDirectory>(),
                    // A closed session leaves nothing behind: no Redis key (the journal's high-water key, issue 9), no entry in
                    // the in-memory journal.
                    PurgeRecord = settings.Persistence.Provider == PersistenceProvider.Redis
                        ? static (id, to) => new Rtmfp.Persistence.Redis.Journal.PurgePersistenceId(id, to)
                        : static (id, to) => new ForgetPersistenceId(id, to),
                },
                services.GetRequiredService<ApplicationRegistry>(),
                services.GetRequiredService<RtmfpMetrics>())
            {
                Groups = new GroupPolicy
                {
                    KnownGroups = settings.Groups.Specifiers,
                    RefuseUnknownGroups = settings.Groups.RefuseUnknownGroups,
                    MemberKeepalive = settings.Groups.MemberKeepalive,
                    MemberIdleTimeout = settings.Groups.MemberIdleTimeout,
                },
                Seeds = GroupSeeds(settings),
                SeedStatistics = services.GetRequiredService<Rtmfp.Sessions.Groups.Seeding.GroupSeedStatistics>(),
                Loggers = services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>(),
                ConnectionOptions = MediaLifetimes(settings),
            });
        }
        if (settings.Roles.HasFlag(NodeRoles.Groups))
        {
            akka.WithGroupsRole(new GroupsRoleOptions(settings.Sessions.ShardCount)
            {
                MaxMembersPerGroup = settings.Groups.MaxMembersPerGroup,
                RebootstrapInterval = settings.Groups.RebootstrapInterval,
                Metrics = services.GetRequiredService<RtmfpMetrics>(),
                Directory = services.GetRequiredService<NodeDirectory>(),
            });
        }
        else if (sessionsHere)
        {
            akka.WithGroupsProxy(settings.Sessions.ShardCount);
        }
        if (settings.Roles.HasFlag(NodeRoles.Gateway))
        {
            akka.WithGatewayRole(settings.Sessions.ShardCount, sessionsHere);
        }
        if (settings.Rtmp.Enabled)
        {
            akka.WithRtmpRole(settings.Sessions.ShardCount, sessionsHere);
        }

        // rtmfp-ops sessions/streams/peers/groups: every node answers for what it hosts, whether or not its endpoint is on.
        akka.WithOpsInspection(services.GetRequiredService<NodeDirectory>());

        if (settings.Cluster.SeedNodes.Count == 0)
        {
            // Single node by default: join ourselves once remoting knows our port.
            akka.AddStartup((system, _) =>
            {
                var cluster = Akka.Cluster.Cluster.Get(system);
                cluster.Join(cluster.SelfAddress);
            });
        }
    }

    private static string Ms(TimeSpan value) => $"{(long)value.TotalMilliseconds}ms";

    /// <summary>
    /// Mutual TLS with the one cluster certificate: both ends of a remoting connection present it, and each accepts
    /// the other only if its certificate has the same thumbprint (pinning instead of a CA chain, so a self-signed
    /// cluster certificate works and a certificate from any other issuer, even a publicly trusted one, is refused).
    /// Host names are not checked: nodes connect by IP or pod DNS name and all share one certificate.
    /// </summary>
    internal static SslOptions ClusterTls(ClusterTlsSettings tls) => new()
    {
        X509Certificate = tls.Certificate,
        SuppressValidation = false,
        RequireMutualAuthentication = true,
        ValidateCertificateHostname = false,
        CustomValidator = CertificateValidation.PinnedCertificate(tls.Certificate.Thumbprint),
    };

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<NodeSettings, IReadOnlyList<Rtmfp.Sessions.Groups.Seeding.GroupSeed>> s_seeds = new();

    /// <summary>
    /// The server members of Rtmfp:Groups:Seeds (docs/groups.md §7), derived once per settings: their identities come
    /// from the cookie secret, which every gateway of a cluster shares, so every node answers for the same peer IDs.
    /// </summary>
    internal static IReadOnlyList<Rtmfp.Sessions.Groups.Seeding.GroupSeed> GroupSeeds(NodeSettings settings) =>
        s_seeds.GetValue(settings, s => s.Groups.Seeds
            .Select(seed => new Rtmfp.Sessions.Groups.Seeding.GroupSeed(
                Rtmfp.Shared.Groups.GroupSeedIdentity.Derive(seed.Specifier, s.Gateway.CookieSecret
                    ?? throw new InvalidOperationException("group seeds need the cookie secret resolved")), seed.Stream))
            .ToList());

    /// <summary>Hosted services of the roles this node plays (the gateway's UDP front) and the ops endpoint.</summary>
    public static void AddRoleServices(IServiceCollection services, NodeSettings settings)
    {
        services.AddHostedService<StartupReport>();
        Rtmfp.Ops.OpsServiceCollectionExtensions.AddRtmfpOps(services, settings.Ops.Endpoint, settings.Ops.Token);
        services.AddSingleton<Rtmfp.Sessions.Groups.Seeding.GroupSeedStatistics>();
        services.AddHostedService<ClusterJoinWatchdog>();
        Health.NodeHealthChecks.Add(services, settings);
        if (settings.Persistence.Provider == PersistenceProvider.Redis)
        {
            // The plugins connect only when a persistent actor first needs them: this probe says at startup whether
            // Redis answers (naming the key to fix when it does not) and keeps IRedisHealth current for readiness.
            services.AddRedisPersistenceHealth(new RedisHealthOptions(settings.Persistence.RedisConfiguration!)
            {
                SettingName = "Rtmfp:Persistence:Redis",
            });
        }
        // One instance of each Flash application, shared by RTMFP sessions and RTMP connections.
        // Every application (RTMFP and RTMP clients alike) is wrapped so its decisions are logged (event IDs 2101–2123).
        services.AddSingleton(sp => BuiltInApplications.CreateRegistry(settings.Applications,
            app => SessionsHosting.LogDecisions(app, sp.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>())));
        if (settings.Rtmp.Enabled)
        {
            services.AddRtmpRole(sp => RtmpOptions(settings, sp.GetRequiredService<ApplicationRegistry>()));
        }
        if (settings.Roles.HasFlag(NodeRoles.Gateway))
        {
            var g = settings.Gateway;
            services.AddGatewayRole(new GatewayOptions(
                g.Endpoints,
                g.CookieSecret ?? CookieJar.NewSecret(),
                g.CookieSlot,
                g.HandshakeWorkers,
                g.HandshakeQueueLimit,
                g.ReceiveBufferBytes,
                ShutdownCloseGrace: settings.Shutdown.GracePeriod)
            {
                SourceLimits = g.SourceLimits,
                EphemeralKeyLifetime = g.EphemeralKeyLifetime,
                ShardCount = settings.Sessions.ShardCount,
                GroupSeeds = GroupSeeds(settings).Select(s => s.Identity).ToList(),
            });
        }
    }

    /// <summary>Rtmfp:Streams: the media lifetimes of every player's NetStream, over RTMFP and RTMP alike.</summary>
    private static Rtmfp.Flash.NetConnectionOptions MediaLifetimes(NodeSettings settings) =>
        Rtmfp.Flash.NetConnectionOptions.Default with { AudioLifetime = settings.Streams.AudioLifetime, VideoLifetime = settings.Streams.VideoLifetime };

    /// <summary>The rtmp role's options from Rtmfp:Rtmp (the same Flash applications as the RTMFP sessions).</summary>
    private static RtmpRoleOptions RtmpOptions(NodeSettings settings, ApplicationRegistry applications)
    {
        var r = settings.Rtmp;
        return new RtmpRoleOptions(r.Endpoint, applications)
        {
            MaxConnections = r.MaxConnections,
            MaxConnectionsPerAddress = r.MaxConnectionsPerAddress,
            ConnectsPerAddressPerSecond = r.ConnectsPerAddressPerSecond,
            ConnectionOptions = MediaLifetimes(settings),
            HandshakeTimeout = r.HandshakeTimeout,
            IdleTimeout = r.IdleTimeout,
            SendStallTimeout = r.SendStallTimeout,
            ChunkLimits = new Rtmfp.Shared.Rtmp.RtmpChunkReaderLimits
            {
                MaxChunkSize = r.MaxChunkSize,
                MaxMessageLength = r.MaxMessageLength,
                MaxBufferedBytes = 2 * r.MaxMessageLength,
            },
        };
    }
}
