using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Rtmfp.Ops.Protocol;

namespace Rtmfp.Ops.Commands;

/// <summary>The sharding palette: ShardTypeNames, GetClusterShardingStats and GetShardRegionState, all asked asynchronously.</summary>
internal static class ShardingCommands
{
    /// <summary>Entity ids listed per shard by shard-state; the count is always complete.</summary>
    public const int MaxEntityIdsPerShard = 50;

    public static IEnumerable<OpsCommand> Create(ActorSystem system, TimeSpan timeout)
    {
        yield return new(OpsCommandNames.ShardingRegions, "sharding regions", "Shard regions (and proxies) started on this node", [],
            (_, _, _) => Task.FromResult<object?>(new ShardingRegionsResult(ClusterSharding.Get(system).ShardTypeNames.Order(StringComparer.Ordinal).ToList())));
        yield return new(OpsCommandNames.ShardingRegionStats, "sharding region-stats -r <region>", "Shard and entity counts per member (cluster-wide)", ["region"],
            (a, _, ct) => RegionStatsAsync(system, a, timeout, ct));
        yield return new(OpsCommandNames.ShardingShardState, "sharding shard-state -r <region>", "Shards and entity ids hosted by this node's region", ["region"],
            (a, _, ct) => ShardStateAsync(system, a, timeout, ct));
    }

    private static IActorRef Region(ActorSystem system, OpsArguments args, out string name)
    {
        name = args.Required("region");
        var sharding = ClusterSharding.Get(system);
        var names = sharding.ShardTypeNames;
        if (!names.Contains(name))
        {
            var known = names.Count == 0 ? "none" : string.Join(", ", names.Order(StringComparer.Ordinal));
            throw new OpsCommandException($"no shard region '{name}' on this node (regions: {known})");
        }
        return sharding.ShardRegion(name);
    }

    private static async Task<object?> RegionStatsAsync(ActorSystem system, OpsArguments args, TimeSpan timeout, CancellationToken ct)
    {
        var region = Region(system, args, out var name);
        // The region gives up on slow members after the inner timeout and reports what it has.
        var stats = await region.Ask<ClusterShardingStats>(new GetClusterShardingStats(timeout * 0.8), timeout, ct).ConfigureAwait(false);
        var state = Cluster.Get(system).State;
        var coordinators = await FindCoordinatorsAsync(system, name, stats.Regions.Keys, timeout, ct).ConfigureAwait(false);
        var members = new List<RegionMemberStats>();
        foreach (var (address, regionStats) in stats.Regions.OrderBy(r => r.Key, Member.AddressOrdering))
        {
            var member = state.Members.FirstOrDefault(m => m.Address.Equals(address));
            int entities = 0;
            foreach (var count in regionStats.Stats.Values)
            {
                entities += count;
            }
            members.Add(new RegionMemberStats(
                address.ToString(),
                member?.Status.ToString(),
                member is null ? [] : ClusterCommands.ApplicationRoles(member.Roles),
                coordinators.Contains(address),
                regionStats.Stats.Count,
                entities,
                (regionStats.Failed ?? []).Order(StringComparer.Ordinal).ToList()));
        }
        return new RegionStatsResult(name, members);
    }

    /// <summary>The coordinator is a cluster singleton; only the member hosting it answers Identify on its path.</summary>
    private static async Task<HashSet<Address>> FindCoordinatorsAsync(ActorSystem system, string region, IEnumerable<Address> addresses, TimeSpan timeout, CancellationToken ct)
    {
        var lookups = new List<Task<ActorIdentity>>();
        foreach (var address in addresses)
        {
            var path = $"{address}/system/sharding/{Uri.EscapeDataString(region)}Coordinator/singleton";
            lookups.Add(system.ActorSelection(path).Ask<ActorIdentity>(new Identify(null), timeout / 2, ct));
        }
        var found = new HashSet<Address>();
        foreach (var lookup in lookups)
        {
            try
            {
                if (await lookup.ConfigureAwait(false) is { Subject: { } subject })
                {
                    found.Add(subject.Path.Address.HasGlobalScope ? subject.Path.Address : Cluster.Get(system).SelfAddress);
                }
            }
            catch (AskTimeoutException)
            {
                // An unreachable member simply is not marked.
            }
        }
        return found;
    }

    private static async Task<object?> ShardStateAsync(ActorSystem system, OpsArguments args, TimeSpan timeout, CancellationToken ct)
    {
        var region = Region(system, args, out var name);
        var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, timeout, ct).ConfigureAwait(false);
        var shards = state.Shards
            .OrderBy(s => s.ShardId, StringComparer.Ordinal)
            .Select(s => new ShardInfo(s.ShardId, s.EntityIds.Count, s.EntityIds.Order(StringComparer.Ordinal).Take(MaxEntityIdsPerShard).ToList()))
            .ToList();
        return new ShardStateResult(name, Cluster.Get(system).SelfAddress.ToString(), shards, (state.Failed ?? []).Order(StringComparer.Ordinal).ToList());
    }
}
