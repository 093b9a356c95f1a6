namespace Rtmfp.Ops.Protocol;

public sealed record ShardingRegionsResult(IReadOnlyList<string> Regions);

/// <summary>GetClusterShardingStats per member: shard and entity counts, and whether the member hosts the coordinator.</summary>
public sealed record RegionMemberStats(
    string Address,
    string? Status,
    IReadOnlyList<string> Roles,
    bool Coordinator,
    int Shards,
    int Entities,
    IReadOnlyList<string> FailedShards);

public sealed record RegionStatsResult(string Region, IReadOnlyList<RegionMemberStats> Members);

/// <summary>GetShardRegionState on the answering node. EntityIds is cut at a bound; Entities is the full count.</summary>
public sealed record ShardInfo(string ShardId, int Entities, IReadOnlyList<string> EntityIds);

public sealed record ShardStateResult(string Region, string Node, IReadOnlyList<ShardInfo> Shards, IReadOnlyList<string> FailedShards);
