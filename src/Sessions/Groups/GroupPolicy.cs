using Rtmfp.Shared.Groups;

namespace Rtmfp.Sessions.Groups;

/// <summary>
/// The node's NetGroup settings for sessions: groups the operator named by their specifier (so applications see
/// their names, and unknown groups can be refused), and how fast an idle member is probed and declared dead so that
/// ghosts leave their groups quickly (docs/groups.md §2.4; docs/groups.md).
/// </summary>
public sealed record GroupPolicy
{
    public static GroupPolicy Default { get; } = new();

    private readonly Dictionary<string, GroupSpecifier> _known = new(StringComparer.Ordinal);

    /// <summary>Specifiers the operator configured, by group ID.</summary>
    public IReadOnlyCollection<GroupSpecifier> KnownGroups
    {
        get => _known.Values;
        init
        {
            _known.Clear();
            foreach (var specifier in value)
            {
                _known[Convert.ToHexStringLower(specifier.GroupId)] = specifier;
            }
        }
    }

    /// <summary>Refuse joins to groups whose specifier is neither configured nor sent by the member.</summary>
    public bool RefuseUnknownGroups { get; init; }

    /// <summary>A member's session sends keepalives after this long without hearing from the client.</summary>
    public TimeSpan MemberKeepalive { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A member's session that hears nothing for this long is closed, and the member leaves its groups.</summary>
    public TimeSpan MemberIdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>GC flows one session may hold open; more are refused.</summary>
    public int MaxGroupFlowsPerSession { get; init; } = 16;

    /// <summary>Groups one session may be a member of; joins to more are refused.</summary>
    public int MaxGroupsPerSession { get; init; } = 8;

    /// <summary>
    /// Peer IDs of the server members seeding groups (docs/groups.md §7), by group ID (hex): every member admitted to
    /// such a group is introduced to it at once.
    /// </summary>
    public IReadOnlyDictionary<string, byte[]> SeedMembers { get; init; } = new Dictionary<string, byte[]>();

    public GroupSpecifier? Find(ReadOnlySpan<byte> groupId) =>
        _known.TryGetValue(Convert.ToHexStringLower(groupId), out var specifier) ? specifier : null;
}
