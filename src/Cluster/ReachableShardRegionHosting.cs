using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Hosting;

namespace Rtmfp.Cluster;

/// <summary>
/// Starts a shard region as Akka.Hosting's <c>WithShardRegion</c> does for our entities (their role, DData coordinator
/// state, no remembered entities, no idle passivation: entities end themselves), but with
/// <see cref="ReachableRegionsAllocationStrategy"/>, which Akka.Hosting's options cannot set.
/// </summary>
public static class ReachableShardRegionHosting
{
    public static AkkaConfigurationBuilder WithReachableShardRegion<TKey>(
        this AkkaConfigurationBuilder akka,
        string typeName,
        Func<IActorRegistry, Func<string, Props>> entityProps,
        IMessageExtractor extractor,
        string role,
        object? handOffStopMessage = null) =>
        akka.WithActors((system, registry) =>
        {
            var region = ClusterSharding.Get(system).Start(typeName, entityProps(registry), EntitySettings(system).WithRole(role),
                extractor, new ReachableRegionsAllocationStrategy(), handOffStopMessage ?? PoisonPill.Instance);
            registry.Register<TKey>(region);
        });

    /// <summary>
    /// The sharding settings of every region of ours, before its role: DData coordinator state, no remembered entities,
    /// no idle passivation (entities end themselves). Also what bench/entity-floor.sh measures Akka's share with.
    /// </summary>
    public static ClusterShardingSettings EntitySettings(ActorSystem system)
    {
        ClusterSharding.Get(system); // its defaults join the configuration here
        return ClusterShardingSettings.Create(system)
            .WithStateStoreMode(StateStoreMode.DData)
            .WithRememberEntities(false)
            .WithPassivateIdleAfter(TimeSpan.Zero);
    }
}
