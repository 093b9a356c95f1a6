using Rtmfp.Shared.Groups;

namespace Rtmfp.Flash;

/// <summary>
/// A NetGroup member's join, as the server sees it (docs/groups.md §2.2): the 32-byte group ID, and the group's
/// specifier when it is known (the member sent the raw text, or the operator configured it), so an application can
/// decide by group name.
/// </summary>
public sealed class GroupJoinRequest(ReadOnlyMemory<byte> groupId, GroupSpecifier? specifier)
{
    /// <summary>SHA-256 of the specifier text (twice for version 2 specifiers).</summary>
    public ReadOnlyMemory<byte> GroupId { get; } = groupId;

    public string GroupIdHex { get; } = Convert.ToHexStringLower(groupId.Span);

    public GroupSpecifier? Specifier { get; } = specifier;

    /// <summary>The group's name, when its specifier is known.</summary>
    public string? Name => Specifier?.Name;

    public override string ToString() => Name is null ? GroupIdHex : $"{Name} ({GroupIdHex})";
}

/// <summary>An application's answer to a NetGroup join.</summary>
public sealed record GroupDecision(bool Allowed, string? Reason = null, int MaxMembers = 0)
{
    /// <summary>Admit the member; the group's size is capped only by the node's own limit.</summary>
    public static GroupDecision Allow { get; } = new(true);

    /// <summary>Admit the member while the group, across the cluster, has fewer than <paramref name="maxMembers"/> members.</summary>
    public static GroupDecision AllowUpTo(int maxMembers) => new(true, null, maxMembers > 0 ? maxMembers
        : throw new ArgumentOutOfRangeException(nameof(maxMembers), "a group cap is at least 1"));

    public static GroupDecision Deny(string reason) => new(false, reason);
}
