using System.Net;
using System.Text;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Cluster;

// Messages between gateways and session entities (docs/architecture.md, "One packet's way").
// Entities are addressed by the responder session ID; the shard region forwards the sender, so a
// session answers the gateway that spoke last. Byte buffers marked "pooled" are rented from
// ArrayPool<byte>.Shared by the sender and returned by the receiver.

/// <summary>A message for the session entity of <see cref="SessionId"/>.</summary>
internal interface ISessionMessage
{
    uint SessionId { get; }
}

/// <summary>What a gateway needs to encrypt and decrypt for a session: soft state, refetched on a miss.</summary>
public sealed record SessionCryptoMaterial(
    byte[] EncryptKey,
    byte[] DecryptKey,
    byte[] HmacSendKey,
    byte[] HmacReceiveKey,
    byte[] NearNonce,
    byte[] FarNonce,
    PacketVerificationSettings Verification)
{
    public static SessionCryptoMaterial From(SessionKeys keys, PacketVerificationSettings verification) =>
        new(keys.EncryptKey, keys.DecryptKey, keys.HmacSendKey, keys.HmacReceiveKey, keys.NearNonce, keys.FarNonce, verification);

    public SessionCryptoContext CreateContext() =>
        new(SessionKeys.FromParts(EncryptKey, DecryptKey, HmacSendKey, HmacReceiveKey, NearNonce, FarNonce), Verification);

    /// <summary>Keys and nonces never reach a log: only the verification settings print.</summary>
    private bool PrintMembers(StringBuilder b)
    {
        b.Append("Keys = (redacted), Verification = ").Append(Verification);
        return true;
    }
}

/// <summary>
/// A gateway verified an IIKeying's cookie and computed the keys: open (or confirm) the session.
/// A repeated IIKeying (same cookie) is answered with the first <see cref="SessionOpened"/>.
/// </summary>
public sealed record OpenSession(
    uint SessionId,
    uint FarSessionId,
    byte[] Cookie,
    SessionCryptoMaterial Crypto,
    byte[] FarPeerId,
    byte[] EndpointDiscriminator,
    SocketAddress FarAddress,
    byte[] RIKeyingPacket) : ISessionMessage
{
    private bool PrintMembers(StringBuilder b)
    {
        b.AppendSession(nameof(SessionId), SessionId).Append(", ").AppendSession(nameof(FarSessionId), FarSessionId).Append(", ")
            .AppendId(nameof(Cookie), Cookie).Append(", ").AppendId(nameof(FarPeerId), FarPeerId).Append(", ")
            .AppendAddress(nameof(FarAddress), FarAddress).Append(", Crypto = ").Append(Crypto);
        return true;
    }
}

/// <summary>The session is open: send <see cref="RIKeyingPacket"/> (plain, default key) to the initiator.</summary>
public sealed record SessionOpened(uint SessionId, uint FarSessionId, SessionCryptoMaterial Crypto, SocketAddress FarAddress, byte[] RIKeyingPacket)
{
    private bool PrintMembers(StringBuilder b)
    {
        b.AppendSession(nameof(SessionId), SessionId).Append(", ").AppendSession(nameof(FarSessionId), FarSessionId).Append(", ")
            .AppendAddress(nameof(FarAddress), FarAddress).Append(", ").AppendLength(nameof(RIKeyingPacket), RIKeyingPacket.Length);
        return true;
    }
}

/// <summary>The derived session ID belongs to another initiator: probe the next one.</summary>
public sealed record SessionIdCollision(uint SessionId, byte[] Cookie)
{
    private bool PrintMembers(StringBuilder b)
    {
        b.AppendSession(nameof(SessionId), SessionId).Append(", ").AppendId(nameof(Cookie), Cookie);
        return true;
    }
}

/// <summary>A decrypted, verified plain packet (flags onward). <see cref="Buffer"/> is pooled.</summary>
public sealed record InboundPacket(uint SessionId, byte[] Buffer, int Offset, int Length, ulong SequenceNumber, SocketAddress From) : ISessionMessage
{
    private bool PrintMembers(StringBuilder b)
    {
        b.AppendSession(nameof(SessionId), SessionId).Append(", ").AppendLength("Packet", Length)
            .Append(", SequenceNumber = ").Append(SequenceNumber).Append(", ").AppendAddress(nameof(From), From);
        return true;
    }
}

/// <summary>
/// The packets one receive batch of a gateway holds for one session, in arrival order: one message where there
/// would be one per datagram (issue 9: cross-node traffic batched). Each packet's buffer is pooled, as alone.
/// </summary>
public sealed record InboundPacketBatch(uint SessionId, InboundPacket[] Packets) : ISessionMessage
{
    /// <summary>Most packets one batch carries (a gateway's receive batch is smaller).</summary>
    public const int MaxPackets = 64;

    private bool PrintMembers(StringBuilder b)
    {
        b.AppendSession(nameof(SessionId), SessionId).Append(", Packets = ").Append(Packets.Length);
        return true;
    }
}

/// <summary>A plain packet for the gateway to encrypt with <see cref="SequenceNumber"/> and send. <see cref="Buffer"/> is pooled.</summary>
public sealed record OutboundPacket(uint SessionId, uint FarSessionId, byte[] Buffer, int Length, ulong SequenceNumber, SocketAddress To)
{
    private bool PrintMembers(StringBuilder b)
    {
        b.AppendSession(nameof(SessionId), SessionId).Append(", ").AppendSession(nameof(FarSessionId), FarSessionId).Append(", ")
            .AppendLength("Packet", Length).Append(", SequenceNumber = ").Append(SequenceNumber).Append(", ").AppendAddress(nameof(To), To);
        return true;
    }
}

/// <summary>A gateway has no keys for this session (another gateway opened it, or its cache was lost).</summary>
public sealed record FetchSessionKeys(uint SessionId) : ISessionMessage;

public sealed record SessionKeysReply(uint SessionId, uint FarSessionId, SessionCryptoMaterial Crypto, SocketAddress FarAddress);

/// <summary>No open session has this ID: the gateway drops its packets (negative cache).</summary>
public sealed record UnknownSession(uint SessionId);

/// <summary>The session is closed: gateways forget its keys.</summary>
public sealed record SessionClosed(uint SessionId);

/// <summary>
/// The far end closed the session (RFC 7016 §3.5.5.2) and its entity stopped: the gateway keeps the keys for the far
/// close linger, answers each retransmitted Session Close Request with a Session Close Acknowledgement numbered from
/// <paramref name="NextSequenceNumber"/> (RFC 7425 §4.6.6), drops everything else, then forgets the keys.
/// </summary>
public sealed record SessionLingering(uint SessionId, ulong NextSequenceNumber);

/// <summary>Close the session in an orderly way (node shutdown).</summary>
public sealed record CloseSession(uint SessionId) : ISessionMessage;

/// <summary>
/// Sent by sharding to a session entity when its node leaves or its shard moves (ShardOptions.HandOffStopMessage).
/// </summary>
public sealed class SessionHandOff
{
    public static readonly SessionHandOff Instance = new();

    private SessionHandOff()
    {
    }
}
