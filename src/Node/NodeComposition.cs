using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Microsoft.Extensions.DependencyInjection;
using Rtmfp.Gateway;
using Rtmfp.Persistence.Redis.Hosting;
using Rtmfp.Gateway.Handshake;
using Rtmfp.Sessions;
using Rtmfp.Flash;
using Rtmfp.Sessions.Rendezvous;
using Rtmfp.Cluster;
using Rtmfp.Sessions.Streams;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Telemetry;
using Akka.Hosting;
using Akka.Persistence.Hosting;
using Akka.Remote.Hosting;
using Rtmfp.Node.Settings;

namespace Rtmfp.Node;

/// <summary>Wires one node's actor system from its settings: remoting, clustering, persistence and the roles it plays.</summary>
public static class NodeComposition
{
    /// <summary>Largest remote message: a big video keyframe with its headers.</summary>
    public const int MaxRemoteFrameSize = 4 * 1024 * 1024;

    public static void Configure(AkkaConfigurationBuilder akka, IServiceProvider services, NodeSettings settings)
    {
        var roles = new List<string>();
        if (settings.Roles.HasFlag(NodeRoles.Gateway)) roles.Add("gateway");
        if (settings.Roles.HasFlag(NodeRoles.Sessions)) roles.Add("sessions");
        if (settings.Roles.HasFlag(NodeRoles.Groups)) roles.Add("groups");

        akka.WithRemoting(new RemoteOptions
            {
                HostName = settings.Cluster.Hostname,
                Port = settings.Cluster.Port,
                PublicHostName = settings.Cluster.PublicHostname,
                // Media frames cross nodes whole (PublishStreamFrame, StreamEventDelivery): a keyframe can exceed
                // the transport's default 128,000-byte frame.
                MaxFrameSize = MaxRemoteFrameSize,
            })
            // Gateway, session, stream and directory messages between nodes (compact binary, pooled buffers).
            .WithClusterMessageSerializers()
            .WithClustering(new ClusterOptions
            {
                Roles = roles.ToArray(),
                SeedNodes = settings.Cluster.SeedNodes.ToArray(),
            });

        if (settings.Persistence.Provider == PersistenceProvider.Memory)
        {
            akka.WithInMemoryJournal().WithInMemorySnapshotStore();
        }
        else
        {
            akka.WithRedisPersistence(settings.Persistence.RedisConfiguration!, settings.Persistence.KeyPrefix);
        }

        var extractor = new SessionMessageExtractor(settings.Sessions.ShardCount);
        var streamExtractor = new StreamMessageExtractor(settings.Sessions.ShardCount);
        var peerExtractor = new PeerDirectoryMessageExtractor(settings.Sessions.ShardCount);
        if (settings.Roles.HasFlag(NodeRoles.Sessions))
        {
            // Stream entities (one per published name) and rendezvous entries (one per connected peer ID)
            // live beside the sessions; both passivate themselves when nobody needs them.
            akka.WithShardRegion<StreamRegion>(
                "stream",
                entityId => Props.Create(() => new StreamActor(entityId)),
                streamExtractor,
                new ShardOptions
                {
                    Role = "sessions",
                    ShouldPassivateIdleEntities = false,
                    RememberEntities = false,
                    StateStoreMode = StateStoreMode.DData,
                });
            akka.WithShardRegion<PeerDirectoryRegion>(
                "peer-directory",
                entityId => Props.Create(() => new PeerDirectoryActor(entityId)),
                peerExtractor,
                new ShardOptions
                {
                    Role = "sessions",
                    ShouldPassivateIdleEntities = false,
                    RememberEntities = false,
                    StateStoreMode = StateStoreMode.DData,
                });
            var sessionSettings = new SessionActorSettings(settings.Sessions.IdleTimeout, settings.Sessions.KeepaliveInterval);
            var metrics = services.GetRequiredService<RtmfpMetrics>();
            var applications = BuiltInApplications.CreateRegistry(settings.Applications);
            akka.WithShardRegion<SessionRegion>(
                "session",
                (_, registry) =>
                {
                    var flash = new FlashServices(applications)
                    {
                        StreamRegion = () => registry.Get<StreamRegion>(),
                        PeerDirectory = () => registry.Get<PeerDirectoryRegion>(),
                    };
                    return entityId => Props.Create(() => new SessionActor(entityId, sessionSettings, metrics, flash));
                },
                extractor,
                new ShardOptions
                {
                    Role = "sessions",
                    // Sessions close themselves (idle timeout, close handshake); sharding must not.
                    ShouldPassivateIdleEntities = false,
                    RememberEntities = false,
                    StateStoreMode = StateStoreMode.DData,
                    HandOffStopMessage = SessionHandOff.Instance,
                });
        }
        else if (settings.Roles.HasFlag(NodeRoles.Gateway))
        {
            akka.WithShardRegionProxy<SessionRegion>("session", "sessions", extractor);
            akka.WithShardRegionProxy<PeerDirectoryRegion>("peer-directory", "sessions", peerExtractor);
        }

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

    /// <summary>Hosted services of the roles this node plays (the gateway's UDP front).</summary>
    public static void AddRoleServices(IServiceCollection services, NodeSettings settings)
    {
        Rtmfp.Ops.OpsServiceCollectionExtensions.AddRtmfpOps(services, settings.Ops.Endpoint);
        if (!settings.Roles.HasFlag(NodeRoles.Gateway))
        {
            return;
        }
        var g = settings.Gateway;
        services.AddSingleton(new GatewayOptions(
            g.Endpoints,
            g.CookieSecret ?? CookieJar.NewSecret(),
            g.CookieSlot,
            g.HandshakeWorkers,
            g.HandshakeQueueLimit,
            g.ReceiveBufferBytes,
            ShutdownCloseGrace: TimeSpan.FromSeconds(2)));
        services.AddSingleton<Func<GatewayContext, IStartupHandler>>(sp => context => new HandshakeFront(context, FlashCryptoProfile.CreateServer(),
            sp.GetRequiredService<ActorRegistry>().TryGet<PeerDirectoryRegion>(out var directory) ? directory : null));
        services.AddSingleton<GatewayService>();
        services.AddHostedService(sp => sp.GetRequiredService<GatewayService>());
    }
}
