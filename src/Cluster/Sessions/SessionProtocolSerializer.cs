using System.Buffers;
using Akka.Actor;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Cluster;

/// <summary>
/// The session protocol's messages between gateways and session entities (<see cref="OpenSession"/> and the
/// rest of SessionProtocol.cs). Pooled packet buffers travel as their used slice and are rented again from
/// <see cref="ArrayPool{T}.Shared"/> on the receiving node, whose receiver returns them as it does locally
/// (docs/decisions.md, "Gateway ↔ session").
/// </summary>
internal sealed class SessionProtocolSerializer : ProtocolSerializer
{
    /// <summary>Fixed for the cluster's life (RFC 7016 is 7016).</summary>
    public const int SerializerIdentifier = 7016;

    private static class Manifests
    {
        public const string OpenSession = "os";
        public const string SessionOpened = "so";
        public const string SessionIdCollision = "sc";
        public const string InboundPacket = "ip";
        public const string OutboundPacket = "op";
        public const string FetchSessionKeys = "fk";
        public const string SessionKeysReply = "kr";
        public const string UnknownSession = "us";
        public const string SessionClosed = "sx";
        public const string CloseSession = "cs";
        public const string HandOff = "ho";
    }

    public static IReadOnlyList<Type> BoundTypes { get; } =
    [
        typeof(OpenSession), typeof(SessionOpened), typeof(SessionIdCollision), typeof(InboundPacket), typeof(OutboundPacket),
        typeof(FetchSessionKeys), typeof(SessionKeysReply), typeof(UnknownSession), typeof(SessionClosed), typeof(CloseSession),
        typeof(SessionHandOff),
    ];

    public SessionProtocolSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    public override int Identifier => SerializerIdentifier;

    public override string Manifest(object o) => o switch
    {
        OpenSession => Manifests.OpenSession,
        SessionOpened => Manifests.SessionOpened,
        SessionIdCollision => Manifests.SessionIdCollision,
        InboundPacket => Manifests.InboundPacket,
        OutboundPacket => Manifests.OutboundPacket,
        FetchSessionKeys => Manifests.FetchSessionKeys,
        SessionKeysReply => Manifests.SessionKeysReply,
        UnknownSession => Manifests.UnknownSession,
        SessionClosed => Manifests.SessionClosed,
        CloseSession => Manifests.CloseSession,
        SessionHandOff => Manifests.HandOff,
        _ => throw NotOurs(o),
    };

    private protected override void Write(ClusterMessageWriter w, object message)
    {
        switch (message)
        {
            case OpenSession m:
                WriteOpen(w, m);
                break;
            case SessionOpened m:
                w.WriteUInt32(m.SessionId);
                w.WriteUInt32(m.FarSessionId);
                WriteCrypto(w, m.Crypto);
                w.WriteSocketAddress(m.FarAddress);
                w.WriteBytes(m.RIKeyingPacket);
                break;
            case SessionIdCollision m:
                w.WriteUInt32(m.SessionId);
                w.WriteBytes(m.Cookie);
                break;
            case InboundPacket m:
                w.WriteUInt32(m.SessionId);
                w.WriteUInt64(m.SequenceNumber);
                w.WriteSocketAddress(m.From);
                w.WriteBytes(m.Buffer.AsSpan(m.Offset, m.Length));
                break;
            case OutboundPacket m:
                w.WriteUInt32(m.SessionId);
                w.WriteUInt32(m.FarSessionId);
                w.WriteUInt64(m.SequenceNumber);
                w.WriteSocketAddress(m.To);
                w.WriteBytes(m.Buffer.AsSpan(0, m.Length));
                break;
            case SessionKeysReply m:
                w.WriteUInt32(m.SessionId);
                w.WriteUInt32(m.FarSessionId);
                WriteCrypto(w, m.Crypto);
                w.WriteSocketAddress(m.FarAddress);
                break;
            case FetchSessionKeys m:
                w.WriteUInt32(m.SessionId);
                break;
            case UnknownSession m:
                w.WriteUInt32(m.SessionId);
                break;
            case SessionClosed m:
                w.WriteUInt32(m.SessionId);
                break;
            case CloseSession m:
                w.WriteUInt32(m.SessionId);
                break;
            case SessionHandOff:
                break;
            default:
                throw NotOurs(message);
        }
    }

    private protected override object Read(ref ClusterMessageReader r, string manifest) => manifest switch
    {
        Manifests.OpenSession => ReadOpen(ref r),
        Manifests.SessionOpened => new SessionOpened(r.ReadUInt32(), r.ReadUInt32(), ReadCrypto(ref r), r.ReadSocketAddress(), r.ReadByteArray()),
        Manifests.SessionIdCollision => new SessionIdCollision(r.ReadUInt32(), r.ReadByteArray()),
        Manifests.InboundPacket => ReadInbound(ref r),
        Manifests.OutboundPacket => ReadOutbound(ref r),
        Manifests.FetchSessionKeys => new FetchSessionKeys(r.ReadUInt32()),
        Manifests.SessionKeysReply => new SessionKeysReply(r.ReadUInt32(), r.ReadUInt32(), ReadCrypto(ref r), r.ReadSocketAddress()),
        Manifests.UnknownSession => new UnknownSession(r.ReadUInt32()),
        Manifests.SessionClosed => new SessionClosed(r.ReadUInt32()),
        Manifests.CloseSession => new CloseSession(r.ReadUInt32()),
        Manifests.HandOff => SessionHandOff.Instance,
        _ => throw UnknownManifest(manifest),
    };

    private static InboundPacket ReadInbound(ref ClusterMessageReader r)
    {
        uint sessionId = r.ReadUInt32();
        ulong sequence = r.ReadUInt64();
        var from = r.ReadSocketAddress();
        var packet = r.ReadSpan();
        // Pooled like a gateway's receive buffer: the session returns it (docs/decisions.md).
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, packet.Length));
        packet.CopyTo(buffer);
        return new InboundPacket(sessionId, buffer, 0, packet.Length, sequence, from);
    }

    private static OutboundPacket ReadOutbound(ref ClusterMessageReader r)
    {
        uint sessionId = r.ReadUInt32();
        uint farSessionId = r.ReadUInt32();
        ulong sequence = r.ReadUInt64();
        var to = r.ReadSocketAddress();
        var packet = r.ReadSpan();
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, packet.Length));
        packet.CopyTo(buffer);
        return new OutboundPacket(sessionId, farSessionId, buffer, packet.Length, sequence, to);
    }

    private protected override void ReturnPooled(object message)
    {
        if (message is InboundPacket inbound)
        {
            ArrayPool<byte>.Shared.Return(inbound.Buffer);
        }
        else if (message is OutboundPacket outbound)
        {
            ArrayPool<byte>.Shared.Return(outbound.Buffer);
        }
    }

    /// <summary>Also the identity part of a persisted session (<see cref="SessionRecordSerializer"/>).</summary>
    internal static void WriteOpen(ClusterMessageWriter w, OpenSession m)
    {
        w.WriteUInt32(m.SessionId);
        w.WriteUInt32(m.FarSessionId);
        w.WriteBytes(m.Cookie);
        WriteCrypto(w, m.Crypto);
        w.WriteBytes(m.FarPeerId);
        w.WriteBytes(m.EndpointDiscriminator);
        w.WriteSocketAddress(m.FarAddress);
        w.WriteBytes(m.RIKeyingPacket);
    }

    internal static OpenSession ReadOpen(ref ClusterMessageReader r) =>
        new(r.ReadUInt32(), r.ReadUInt32(), r.ReadByteArray(), ReadCrypto(ref r),
            r.ReadByteArray(), r.ReadByteArray(), r.ReadSocketAddress(), r.ReadByteArray());

    private static void WriteCrypto(ClusterMessageWriter w, SessionCryptoMaterial c)
    {
        w.WriteBytes(c.EncryptKey);
        w.WriteBytes(c.DecryptKey);
        w.WriteBytes(c.HmacSendKey);
        w.WriteBytes(c.HmacReceiveKey);
        w.WriteBytes(c.NearNonce);
        w.WriteBytes(c.FarNonce);
        var v = c.Verification;
        w.WriteByte((byte)v.SendHmacLength);
        w.WriteByte((byte)v.ReceiveHmacLength);
        w.WriteByte((byte)((v.SendSequenceNumbers ? 1 : 0) | (v.ReceiveSequenceNumbers ? 2 : 0)));
    }

    private static SessionCryptoMaterial ReadCrypto(ref ClusterMessageReader r)
    {
        var encrypt = r.ReadByteArray();
        var decrypt = r.ReadByteArray();
        var hmacSend = r.ReadByteArray();
        var hmacReceive = r.ReadByteArray();
        var near = r.ReadByteArray();
        var far = r.ReadByteArray();
        int sendHmac = r.ReadByte();
        int receiveHmac = r.ReadByte();
        byte flags = r.ReadByte();
        // RFC 7425 §4.5.2.4: an HMAC length is 0 (checksum) or 4..32.
        if (!IsHmacLength(sendHmac) || !IsHmacLength(receiveHmac) || flags > 3)
        {
            throw r.Error("packet verification settings out of range");
        }
        return new SessionCryptoMaterial(encrypt, decrypt, hmacSend, hmacReceive, near, far,
            new PacketVerificationSettings(sendHmac, receiveHmac, (flags & 1) != 0, (flags & 2) != 0));
    }

    private static bool IsHmacLength(int n) =>
        n == 0 || n is >= PacketVerificationSettings.MinHmacLength and <= PacketVerificationSettings.MaxHmacLength;
}
