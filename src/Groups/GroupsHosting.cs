using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Rtmfp.Cluster;

namespace Rtmfp.Groups;

/// <summary>Limits and timers of the groups role.</summary>
public sealed record GroupsRoleOptions(int ShardCount)
{
    /// <summary>Members one group may have across the cluster, whatever applications allow (bounds a group's state).</summary>
    public int MaxMembersPerGroup { get; init; } = 100_000;

    /// <summary>How often young members (and small groups) get their introductions again (docs/groups.md).</summary>
    public TimeSpan RebootstrapInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The node's instruments (<c>rtmfp.group.*</c>); null counts nothing.</summary>
    public Rtmfp.Shared.Telemetry.RtmfpMetrics? Metrics { get; init; }

    /// <summary>Where group entities are listed for operators (rtmfp-ops groups); null lists nothing.</summary>
    public Rtmfp.Shared.Operations.NodeDirectory? Directory { get; init; }
}

/// <summary>The groups role: a sharded <see cref="GroupActor"/> per NetGroup, and a proxy to them on other nodes.</summary>
public static class GroupsHosting
{
    public static AkkaConfigurationBuilder WithGroupsRole(this AkkaConfigurationBuilder akka, GroupsRoleOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxMembersPerGroup, 1);
        return akka.WithReachableShardRegion<GroupRegion>(
            ClusterRoles.GroupShard,
            _ => entityId => DelegateProps.Create(() => new GroupActor(entityId, options)),
            new GroupMessageExtractor(options.ShardCount),
            ClusterRoles.Groups);
    }

    /// <summary>Sessions on a node without the groups role reach the group entities through a proxy.</summary>
    public static AkkaConfigurationBuilder WithGroupsProxy(this AkkaConfigurationBuilder akka, int shardCount) =>
        akka.WithShardRegionProxy<GroupRegion>(ClusterRoles.GroupShard, ClusterRoles.Groups, new GroupMessageExtractor(shardCount));
}
