using System.Net;
using System.Text;

namespace Rtmfp.Cluster;

// Rendezvous (RFC 7016 §3.5.1.6, RFC 7425 §5.4; docs/protocol-notes.md §4): a sharded directory entity per peer ID
// knows which session actor serves that peer. Replies go to the Sender, which sharding preserves.

/// <summary>A message for the peer directory entity of <see cref="PeerId"/> (entity ID = 64 hex digits).</summary>
internal interface IPeerDirectoryMessage
{
    /// <summary>The 32-byte certificate fingerprint (RFC 7425 §4.3.2).</summary>
    byte[] PeerId { get; }
}

/// <summary>The sending session actor serves a connected Flash client with this peer ID (sent again after a hand-off).</summary>
public sealed record RegisterPeer(byte[] PeerId) : IPeerDirectoryMessage
{
    private bool PrintMembers(StringBuilder b)
    {
        b.AppendId(nameof(PeerId), PeerId);
        return true;
    }
}

/// <summary>The sending session no longer serves this peer ID (connection or session closed).</summary>
public sealed record UnregisterPeer(byte[] PeerId) : IPeerDirectoryMessage
{
    private bool PrintMembers(StringBuilder b)
    {
        b.AppendId(nameof(PeerId), PeerId);
        return true;
    }
}

/// <summary>
/// An IHello named this peer ID (a rendezvous lookup). Sent by a gateway actor; the directory forwards it,
/// sender kept, to the target's session actor, which answers the gateway with a <see cref="PeerRedirect"/>
/// and sends an FIHello in its own session. Unknown peers: nothing happens (RFC 7016 §3.5.1.1.2).
/// </summary>
public sealed record LookupPeer(byte[] PeerId, byte[] Tag, SocketAddress Initiator) : IPeerDirectoryMessage
{
    /// <summary>
    /// Largest IHello tag a lookup may carry: Flash tags are 16 bytes, and the tag is echoed in two packets (Redirect
    /// and FIHello), so the gateway does not forward a huge one and the directory and the target's session refuse it.
    /// </summary>
    public const int MaxTagLength = 64;

    private bool PrintMembers(StringBuilder b)
    {
        b.AppendId(nameof(PeerId), PeerId).Append(", ").AppendId(nameof(Tag), Tag).Append(", ").AppendAddress(nameof(Initiator), Initiator);
        return true;
    }
}

/// <summary>The directory entity stopped (hand-off, rebalance): the session registers again.</summary>
public sealed record PeerDirectoryStopped(byte[] PeerId)
{
    private bool PrintMembers(StringBuilder b)
    {
        b.AppendId(nameof(PeerId), PeerId);
        return true;
    }
}

/// <summary>
/// For a gateway: send <see cref="StartupPacket"/> (a plain Responder Redirect startup packet) to
/// <see cref="To"/> under the default key with session ID 0 (RFC 7016 §2.2.2, §3.5.1.1.2).
/// </summary>
public sealed record PeerRedirect(byte[] StartupPacket, SocketAddress To)
{
    private bool PrintMembers(StringBuilder b)
    {
        b.AppendLength(nameof(StartupPacket), StartupPacket.Length).Append(", ").AppendAddress(nameof(To), To);
        return true;
    }
}

/// <summary>Akka.Hosting registry key of the peer directory shard region (or its proxy on gateway-only nodes).</summary>
public sealed class PeerDirectoryRegion;
