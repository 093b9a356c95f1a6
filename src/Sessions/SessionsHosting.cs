using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Rtmfp.Cluster;
using Rtmfp.Flash;
using Rtmfp.Sessions.Groups;
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
}

/// <summary>The sessions role: session entities, and the stream and peer directory entities beside them.</summary>
public static class SessionsHosting
{
    public static AkkaConfigurationBuilder WithSessionsRole(this AkkaConfigurationBuilder akka, SessionsRoleOptions options)
    {
        // Stream entities (one per published name) and rendezvous entries (one per connected peer ID) live
        // beside the sessions; both passivate themselves when nobody needs them.
        akka.WithShardRegion<StreamRegion>(
            ClusterRoles.StreamShard,
            entityId => Props.Create(() => new StreamActor(entityId)),
            new StreamMessageExtractor(options.ShardCount),
            EntityShardOptions());
        akka.WithShardRegion<PeerDirectoryRegion>(
            ClusterRoles.PeerDirectoryShard,
            entityId => Props.Create(() => new PeerDirectoryActor(entityId)),
            new PeerDirectoryMessageExtractor(options.ShardCount),
            EntityShardOptions());
        var sessionShards = EntityShardOptions();
        sessionShards.HandOffStopMessage = SessionHandOff.Instance;
        akka.WithShardRegion<SessionRegion>(
            ClusterRoles.SessionShard,
            (_, registry) =>
            {
                var flash = new FlashServices(options.Applications)
                {
                    StreamRegion = () => registry.Get<StreamRegion>(),
                    PeerDirectory = () => registry.Get<PeerDirectoryRegion>(),
                    GroupRegion = () => registry.TryGet<GroupRegion>(out var groups) ? groups : ActorRefs.Nobody,
                    Groups = options.Groups,
                };
                return entityId => Props.Create(() => new SessionActor(entityId, options.Sessions, options.Metrics, flash));
            },
            new SessionMessageExtractor(options.ShardCount),
            sessionShards);
        return akka;
    }

    /// <summary>Entities end themselves (idle timeout, close handshake, nobody subscribed); sharding must not.</summary>
    private static ShardOptions EntityShardOptions() => new()
    {
        Role = ClusterRoles.Sessions,
        ShouldPassivateIdleEntities = false,
        RememberEntities = false,
        StateStoreMode = StateStoreMode.DData,
    };
}
