using System.Security.Cryptography;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Groups;

/// <summary>
/// The client↔server NetGroup flow, signature "GC" (no RFC; docs/groups.md §2): the member sends one join, the
/// server answers with member introductions on its own "GC" flow associated with the member's. Messages are raw
/// (first byte = type), not RTMP messages. Peer input never throws here.
/// </summary>
public static class GroupControl
{
    /// <summary>Flow metadata of both directions (RFC 7016 §2.3.11.1.1 User's Per-Flow Metadata).</summary>
    public static ReadOnlySpan<byte> FlowMetadata => "GC"u8;

    /// <summary>The member's join: <c>01 | VLU L | T | value (L − 1 bytes)</c> (docs/groups.md §2.2).</summary>
    public const byte JoinType = 0x01;

    /// <summary>Join option: the 32-byte group ID (what current Flash and librtmfp send).</summary>
    public const byte GroupIdOption = 0x15;

    /// <summary>Join option: the raw groupspec text of old Flash versions; the group ID is its SHA-256.</summary>
    public const byte SpecifierOption = 0x10;

    /// <summary>Server → member: "this peer is a member of the group, contact it": <c>0B | 32-byte peer ID</c>.</summary>
    public const byte MemberType = 0x0B;

    public const int GroupIdLength = 32;

    public const int PeerIdLength = FlashCertificate.FingerprintLength;

    /// <summary>Length of a member introduction message.</summary>
    public const int MemberMessageLength = 1 + PeerIdLength;

    /// <summary>
    /// Longest raw specifier accepted in a join. Flash's longest groupspecs (two password digests, a 32-character
    /// unique name, a long group name) stay well under this; anything larger is refused rather than hashed.
    /// </summary>
    public const int MaxSpecifierLength = 1024;

    /// <summary>
    /// Reads a join. <paramref name="groupId"/> (32 bytes) receives the group ID: the value itself for option
    /// 0x15, SHA-256 of the specifier bytes for option 0x10 (docs/groups.md §1.2, §2.2). Anything else, a wrong
    /// length, trailing bytes or an oversized specifier is refused with the reason. <paramref name="specifier"/> is the
    /// raw specifier of the old form, empty otherwise.
    /// </summary>
    public static GroupJoinStatus TryReadJoin(ReadOnlySpan<byte> message, Span<byte> groupId, out GroupJoinForm form,
        out ReadOnlySpan<byte> specifier)
    {
        form = default;
        specifier = default;
        if (groupId.Length != GroupIdLength)
        {
            throw new ArgumentException("the group ID destination must be 32 bytes", nameof(groupId));
        }
        if (message.IsEmpty || message[0] != JoinType)
        {
            return GroupJoinStatus.NotAJoin;
        }
        var reader = new WireReader(message[1..]);
        if (!reader.TryReadVlu(out ulong length) || length == 0 || length > MaxSpecifierLength + 1
            || !reader.TryReadByte(out byte type) || !reader.TryReadBytes((int)length - 1, out var value))
        {
            return GroupJoinStatus.Malformed;
        }
        if (reader.Remaining != 0)
        {
            return GroupJoinStatus.Malformed;
        }
        switch (type)
        {
            case GroupIdOption when value.Length == GroupIdLength:
                value.CopyTo(groupId);
                form = GroupJoinForm.GroupId;
                return GroupJoinStatus.Ok;
            case GroupIdOption:
                return GroupJoinStatus.Malformed;
            case SpecifierOption when value.Length > 0:
                SHA256.HashData(value, groupId);
                form = GroupJoinForm.Specifier;
                specifier = value;
                return GroupJoinStatus.Ok;
            default:
                return GroupJoinStatus.Malformed;
        }
    }

    /// <summary>Writes a join by group ID (the form current clients send).</summary>
    public static int WriteJoin(Span<byte> destination, ReadOnlySpan<byte> groupId)
    {
        if (groupId.Length != GroupIdLength)
        {
            throw new ArgumentException("a group ID is 32 bytes", nameof(groupId));
        }
        destination[0] = JoinType;
        destination[1] = GroupIdLength + 1;
        destination[2] = GroupIdOption;
        groupId.CopyTo(destination[3..]);
        return 3 + GroupIdLength;
    }

    /// <summary>Writes <c>0B | peer ID</c>.</summary>
    public static int WriteMember(Span<byte> destination, ReadOnlySpan<byte> peerId)
    {
        if (peerId.Length != PeerIdLength)
        {
            throw new ArgumentException("a peer ID is 32 bytes", nameof(peerId));
        }
        destination[0] = MemberType;
        peerId.CopyTo(destination[1..]);
        return MemberMessageLength;
    }

    /// <summary>Reads a member introduction; false for any other message.</summary>
    public static bool TryReadMember(ReadOnlySpan<byte> message, out ReadOnlySpan<byte> peerId)
    {
        if (message.Length == MemberMessageLength && message[0] == MemberType)
        {
            peerId = message[1..];
            return true;
        }
        peerId = default;
        return false;
    }
}

/// <summary>Which join option named the group.</summary>
public enum GroupJoinForm : byte
{
    GroupId,
    Specifier,
}

/// <summary>What <see cref="GroupControl.TryReadJoin"/> made of a message.</summary>
public enum GroupJoinStatus : byte
{
    Ok,
    /// <summary>Another message type: ignored on a GC flow (docs/groups.md §2.2).</summary>
    NotAJoin,
    /// <summary>A join that cannot be used: wrong length, unknown option, trailing bytes, oversized specifier.</summary>
    Malformed,
}
