using System.Security.Cryptography;

namespace Rtmfp.Shared.Groups;

/// <summary>
/// A member's place on the group ring: SHA-256 of its peer ID's endpoint discriminator <c>21 0F | peer ID</c>
/// (Flash's <c>NetGroup.convertPeerIDToGroupAddress</c>; docs/groups.md §1.3). The ring is ordered by the
/// unsigned big-endian value of the 32 bytes and wraps around.
/// </summary>
public static class GroupAddress
{
    public const int Length = 32;

    public static void Compute(ReadOnlySpan<byte> peerId, Span<byte> destination)
    {
        if (peerId.Length != GroupControl.PeerIdLength)
        {
            throw new ArgumentException("a peer ID is 32 bytes", nameof(peerId));
        }
        Span<byte> epd = stackalloc byte[2 + GroupControl.PeerIdLength];
        epd[0] = 0x21; // RFC 7425 §4.4.2: option length 33, type 0x0F (fingerprint)
        epd[1] = 0x0F;
        peerId.CopyTo(epd[2..]);
        SHA256.HashData(epd, destination);
    }

    public static byte[] Of(ReadOnlySpan<byte> peerId)
    {
        var address = new byte[Length];
        Compute(peerId, address);
        return address;
    }
}
