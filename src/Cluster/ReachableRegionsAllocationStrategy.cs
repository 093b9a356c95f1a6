using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding;

namespace Rtmfp.Cluster;

/// <summary>
/// Akka's least-shard allocation, but never to a region whose node is unreachable. Akka's strategy ranks regions by
/// shard count and member status only, so after a node dies (and until it is downed and removed, seconds later) new
/// shards can still go to its region, where every session that hashes to them waits: new handshakes stalled for 10 to
/// 15 s after a crash (issue 9). When every region is unreachable the choice is left to Akka's strategy.
/// </summary>
public sealed class ReachableRegionsAllocationStrategy : IActorSystemDependentAllocationStrategy
{
    private readonly IShardAllocationStrategy _inner;
    private Akka.Cluster.Cluster? _cluster;

    public ReachableRegionsAllocationStrategy(IShardAllocationStrategy? inner = null) =>
        _inner = inner ?? ShardAllocationStrategy.LeastShardAllocationStrategy(absoluteLimit: 0, relativeLimit: 0.1);

    public void Start(ActorSystem system)
    {
        _cluster = Akka.Cluster.Cluster.Get(system);
        switch (_inner)
        {
            case IActorSystemDependentAllocationStrategy dependent:
                dependent.Start(system);
                break;
            case IStartableAllocationStrategy startable:
                startable.Start();
                break;
        }
    }

    public Task<IActorRef> AllocateShard(IActorRef requester, string shardId, IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations) =>
        _inner.AllocateShard(requester, shardId, Reachable(currentShardAllocations));

    public Task<IImmutableSet<string>> Rebalance(IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations, IImmutableSet<string> rebalanceInProgress) =>
        _inner.Rebalance(Reachable(currentShardAllocations), rebalanceInProgress);

    /// <summary>The allocations of regions on reachable members, or all of them when none is reachable.</summary>
    internal IImmutableDictionary<IActorRef, IImmutableList<string>> Reachable(IImmutableDictionary<IActorRef, IImmutableList<string>> allocations)
    {
        if (_cluster is not { } cluster)
        {
            return allocations;
        }
        var unreachable = cluster.State.Unreachable;
        if (unreachable.Count == 0)
        {
            return allocations;
        }
        var reachable = allocations;
        foreach (var region in allocations.Keys)
        {
            var address = region.Path.Address.HasGlobalScope ? region.Path.Address : cluster.SelfAddress;
            foreach (var member in unreachable)
            {
                if (member.Address.Equals(address))
                {
                    reachable = reachable.Remove(region);
                    break;
                }
            }
        }
        return reachable.Count > 0 ? reachable : allocations;
    }
}
