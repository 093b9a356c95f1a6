using System.Buffers.Binary;
using Rtmfp.Shared.Groups;

namespace Rtmfp.Client.Groups;

/// <summary>
/// A member's group address as a 256-bit unsigned number: its place on the group ring (docs/groups.md §1.3), ordered
/// big-endian, compared without allocating.
/// </summary>
internal readonly record struct RingPosition(ulong A, ulong B, ulong C, ulong D) : IComparable<RingPosition>
{
    public static RingPosition FromAddress(ReadOnlySpan<byte> groupAddress) => new(
        BinaryPrimitives.ReadUInt64BigEndian(groupAddress),
        BinaryPrimitives.ReadUInt64BigEndian(groupAddress[8..]),
        BinaryPrimitives.ReadUInt64BigEndian(groupAddress[16..]),
        BinaryPrimitives.ReadUInt64BigEndian(groupAddress[24..]));

    public static RingPosition OfPeer(ReadOnlySpan<byte> peerId)
    {
        Span<byte> address = stackalloc byte[GroupAddress.Length];
        GroupAddress.Compute(peerId, address);
        return FromAddress(address);
    }

    public int CompareTo(RingPosition other)
    {
        int c = A.CompareTo(other.A);
        if (c != 0)
        {
            return c;
        }
        c = B.CompareTo(other.B);
        return c != 0 ? c : (c = C.CompareTo(other.C)) != 0 ? c : D.CompareTo(other.D);
    }
}
