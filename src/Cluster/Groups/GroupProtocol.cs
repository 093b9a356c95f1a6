using System.Text;

namespace Rtmfp.Cluster;

// NetGroup membership across the cluster (docs/groups.md §2): a sharded group entity per group ID
// (role "groups") keeps the members, whichever node their sessions live on, and tells member sessions whom to
// introduce to their client. Members are session actors; the group entity watches them, so a dead session leaves.

/// <summary>A message for the group entity of <see cref="GroupId"/> (entity ID = 64 hex digits).</summary>
internal interface IGroupMessage
{
    /// <summary>The 32-byte group ID members send in their join.</summary>
    byte[] GroupId { get; }
}

/// <summary>
/// The sending session's client, with this peer ID, joined the group (its first GC flow for it). The group answers
/// with <see cref="IntroduceGroupMembers"/> or <see cref="GroupJoinRefused"/>. <see cref="MaxMembers"/> is the
/// application's cap (0: the node's own limit only).
/// </summary>
public sealed record JoinGroup(byte[] GroupId, byte[] PeerId, int MaxMembers) : IGroupMessage
{
    private bool PrintMembers(StringBuilder b)
    {
        b.AppendId(nameof(GroupId), GroupId).Append(", ").AppendId(nameof(PeerId), PeerId).Append(", MaxMembers = ").Append(MaxMembers);
        return true;
    }
}

/// <summary>The sending session's client left the group (its last GC flow ended, or the connection did).</summary>
public sealed record LeaveGroup(byte[] GroupId) : IGroupMessage
{
    private bool PrintMembers(StringBuilder b)
    {
        b.AppendId(nameof(GroupId), GroupId);
        return true;
    }
}

/// <summary>
/// Group → member session: send the client <c>0B peer ID</c> for each of <see cref="PeerIds"/> (32 bytes each,
/// concatenated) on its GC flows of this group: members it should contact (docs/groups.md §2.3).
/// </summary>
public sealed record IntroduceGroupMembers(byte[] GroupId, byte[] PeerIds)
{
    /// <summary>Peer IDs one introduction may carry (a member is never told about more at once).</summary>
    public const int MaxPeers = 256;

    public int Count => PeerIds.Length / 32;

    public ReadOnlySpan<byte> PeerId(int index) => PeerIds.AsSpan(index * 32, 32);

    private bool PrintMembers(StringBuilder b)
    {
        b.AppendId(nameof(GroupId), GroupId).Append(", Count = ").Append(Count);
        return true;
    }
}

/// <summary>Group → session: the join was refused (the group is full); the session refuses the member's GC flows.</summary>
public sealed record GroupJoinRefused(byte[] GroupId, string Reason)
{
    private bool PrintMembers(StringBuilder b)
    {
        b.AppendId(nameof(GroupId), GroupId).Append(", Reason = ").Append(Reason);
        return true;
    }
}

/// <summary>The group entity stopped with members (hand-off, rebalance): each member session joins again.</summary>
public sealed record GroupEntityStopped(byte[] GroupId)
{
    private bool PrintMembers(StringBuilder b)
    {
        b.AppendId(nameof(GroupId), GroupId);
        return true;
    }
}

/// <summary>Akka.Hosting registry key of the group shard region (or its proxy on nodes without the groups role).</summary>
public sealed class GroupRegion;
