namespace Rtmfp.Ops.Protocol;

/// <summary>A cluster member as seen from the answering node. AgeRank 1 is the oldest member (Member.AgeOrdering).</summary>
public sealed record ClusterMemberInfo(
    string Address,
    string Status,
    IReadOnlyList<string> Roles,
    int AgeRank,
    string AppVersion,
    bool IsLeader,
    bool IsSelf,
    bool IsUnreachable);

public sealed record ClusterShowResult(string Self, string? Leader, IReadOnlyList<ClusterMemberInfo> Members, IReadOnlyList<string> Unreachable);

public sealed record ClusterLeaderResult(string? Leader, IReadOnlyDictionary<string, string?> RoleLeaders);

public sealed record ClusterUnreachableResult(IReadOnlyList<ClusterMemberInfo> Unreachable);

/// <summary>The outcome of join, leave, down and down-unreachable: which addresses were acted on.</summary>
public sealed record ClusterActionResult(string Action, IReadOnlyList<string> Addresses, string Message);
