namespace Rtmfp.Ops.Protocol;

/// <summary>Command names on the wire, shared by the endpoint and the CLI (pbm-style palettes).</summary>
public static class OpsCommandNames
{
    public const string Commands = "commands";
    public const string ClusterShow = "cluster show";
    public const string ClusterLeader = "cluster leader";
    public const string ClusterUnreachable = "cluster unreachable";
    public const string ClusterJoin = "cluster join";
    public const string ClusterLeave = "cluster leave";
    public const string ClusterDown = "cluster down";
    public const string ClusterDownUnreachable = "cluster down-unreachable";
    public const string ShardingRegions = "sharding regions";
    public const string ShardingRegionStats = "sharding region-stats";
    public const string ShardingShardState = "sharding shard-state";
    public const string ActorHierarchy = "actor hierarchy";
    public const string NodeInfo = "node info";
    public const string LogTail = "log tail";
    public const string SessionsList = "sessions list";
    public const string SessionsShow = "sessions show";
    public const string SessionsClose = "sessions close";
    public const string StreamsList = "streams list";
    public const string StreamsShow = "streams show";
    public const string PeersShow = "peers show";
    public const string GroupsList = "groups list";
    public const string GroupsShow = "groups show";
}
