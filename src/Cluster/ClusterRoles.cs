namespace Rtmfp.Cluster;

/// <summary>The cluster roles a node can play and the shard type names their regions register under.</summary>
public static class ClusterRoles
{
    public const string Gateway = "gateway";
    public const string Sessions = "sessions";
    public const string Groups = "groups";

    /// <summary>Shard type of the session entities (role <see cref="Sessions"/>).</summary>
    public const string SessionShard = "session";

    /// <summary>Shard type of the stream entities (role <see cref="Sessions"/>).</summary>
    public const string StreamShard = "stream";

    /// <summary>Shard type of the peer directory entries (role <see cref="Sessions"/>).</summary>
    public const string PeerDirectoryShard = "peer-directory";

    /// <summary>Shard type of the NetGroup entities (role <see cref="Groups"/>).</summary>
    public const string GroupShard = "group";

    /// <summary>Shard type of the group seed sources (role <see cref="Sessions"/>, docs/groups.md §7).</summary>
    public const string GroupSeedShard = "group-seed";
}
