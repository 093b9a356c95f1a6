using System.Buffers;
using System.Net;
using Akka.Actor;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Cluster;

/// <summary>
/// The session protocol's messages between gateways and session entities (<see cref="OpenSession"/> and the
/// rest of SessionProtocol.cs). Pooled packet buffers travel as their used slice and are rented again from
/// <see cref="ArrayPool{T}.Shared"/> on the receiving node, whose receiver returns them as it does locally
/// (docs/decisions.md, "Gateway ↔ session").
/// </summary>
internal sealed class SessionProtocolSerializer(ExtendedActorSystem system) : ProtocolSerializer(system, Messages)
{
    /// <summary>Fixed for the cluster's life (RFC 7016 is 7016).</summary>
    public const int SerializerIdentifier = 7016;

    public static ProtocolMessages Messages { get; } = new ProtocolMessages()
        .Add<OpenSession>("os", WriteOpen, ReadOpen)
        .Add<SessionOpened>("so",
            static (w, m) =>
            {
                WriteKeys(w, m.SessionId, m.FarSessionId, m.Crypto, m.FarAddress);
                w.WriteBytes(m.RIKeyingPacket);
            },
            static (ref ClusterMessageReader r) => new SessionOpened(r.ReadUInt32(), r.ReadUInt32(), ReadCrypto(ref r),
                r.ReadSocketAddress(), r.ReadByteArray()))
        .Add<SessionIdCollision>("sc",
            static (w, m) =>
            {
                w.WriteUInt32(m.SessionId);
                w.WriteBytes(m.Cookie);
            },
            static (ref ClusterMessageReader r) => new SessionIdCollision(r.ReadUInt32(), r.ReadByteArray()))
        .Add<InboundPacket>("ip",
            static (w, m) =>
            {
                w.WriteUInt32(m.SessionId);
                w.WriteUInt64(m.SequenceNumber);
                w.WriteSocketAddress(m.From);
                w.WriteBytes(m.Buffer.AsSpan(m.Offset, m.Length));
            },
            ReadInbound)
        .Add<InboundPacketBatch>("ib", WriteInboundBatch, ReadInboundBatch)
        .Add<OutboundPacket>("op",
            static (w, m) =>
            {
                w.WriteUInt32(m.SessionId);
                w.WriteUInt32(m.FarSessionId);
                w.WriteUInt64(m.SequenceNumber);
                w.WriteSocketAddress(m.To);
                w.WriteBytes(m.Buffer.AsSpan(0, m.Length));
            },
            ReadOutbound)
        .Add<FetchSessionKeys>("fk", static (w, m) => w.WriteUInt32(m.SessionId),
            static (ref ClusterMessageReader r) => new FetchSessionKeys(r.ReadUInt32()))
        .Add<SessionKeysReply>("kr", static (w, m) => WriteKeys(w, m.SessionId, m.FarSessionId, m.Crypto, m.FarAddress),
            static (ref ClusterMessageReader r) => new SessionKeysReply(r.ReadUInt32(), r.ReadUInt32(), ReadCrypto(ref r), r.ReadSocketAddress()))
        .Add<UnknownSession>("us", static (w, m) => w.WriteUInt32(m.SessionId),
            static (ref ClusterMessageReader r) => new UnknownSession(r.ReadUInt32()))
        .Add<SessionClosed>("sx", static (w, m) => w.WriteUInt32(m.SessionId),
            static (ref ClusterMessageReader r) => new SessionClosed(r.ReadUInt32()))
        .Add<SessionLingering>("sl", static (w, m) => { w.WriteUInt32(m.SessionId); w.WriteUInt64(m.NextSequenceNumber); },
            static (ref ClusterMessageReader r) => new SessionLingering(r.ReadUInt32(), r.ReadUInt64()))
        .Add<CloseSession>("cs", static (w, m) => w.WriteUInt32(m.SessionId),
            static (ref ClusterMessageReader r) => new CloseSession(r.ReadUInt32()))
        .Add<SessionHandOff>("ho", static (_, _) => { }, static (ref ClusterMessageReader _) => SessionHandOff.Instance);

    public override int Identifier => SerializerIdentifier;

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

    /// <summary>What <see cref="SessionOpened"/> and <see cref="SessionKeysReply"/> both carry: a session's keys and where its peer is.</summary>
    private static void WriteKeys(ClusterMessageWriter w, uint sessionId, uint farSessionId, SessionCryptoMaterial crypto, SocketAddress farAddress)
    {
        w.WriteUInt32(sessionId);
        w.WriteUInt32(farSessionId);
        WriteCrypto(w, crypto);
        w.WriteSocketAddress(farAddress);
    }

    private static InboundPacket ReadInbound(ref ClusterMessageReader r)
    {
        uint sessionId = r.ReadUInt32();
        ulong sequence = r.ReadUInt64();
        var from = r.ReadSocketAddress();
        var packet = r.ReadSpan();
        return new InboundPacket(sessionId, Pooled(packet), 0, packet.Length, sequence, from);
    }

    private static void WriteInboundBatch(ClusterMessageWriter w, InboundPacketBatch m)
    {
        w.WriteUInt32(m.SessionId);
        w.WriteVlu((ulong)m.Packets.Length);
        foreach (var p in m.Packets)
        {
            w.WriteUInt64(p.SequenceNumber);
            w.WriteSocketAddress(p.From);
            w.WriteBytes(p.Buffer.AsSpan(p.Offset, p.Length));
        }
    }

    private static InboundPacketBatch ReadInboundBatch(ref ClusterMessageReader r)
    {
        uint sessionId = r.ReadUInt32();
        ulong count = r.ReadVlu();
        if (count is 0 or > InboundPacketBatch.MaxPackets)
        {
            throw new System.Runtime.Serialization.SerializationException($"a batch of {count} packets");
        }
        var packets = new InboundPacket[count];
        int read = 0;
        try
        {
            for (; read < packets.Length; read++)
            {
                ulong sequence = r.ReadUInt64();
                var from = r.ReadSocketAddress();
                var packet = r.ReadSpan();
                packets[read] = new InboundPacket(sessionId, Pooled(packet), 0, packet.Length, sequence, from);
            }
        }
        catch (System.Runtime.Serialization.SerializationException)
        {
            for (int i = 0; i < read; i++)
            {
                ArrayPool<byte>.Shared.Return(packets[i].Buffer);
            }
            throw;
        }
        return new InboundPacketBatch(sessionId, packets);
    }

    private static OutboundPacket ReadOutbound(ref ClusterMessageReader r)
    {
        uint sessionId = r.ReadUInt32();
        uint farSessionId = r.ReadUInt32();
        ulong sequence = r.ReadUInt64();
        var to = r.ReadSocketAddress();
        var packet = r.ReadSpan();
        return new OutboundPacket(sessionId, farSessionId, Pooled(packet), packet.Length, sequence, to);
    }

    /// <summary>Pooled like a gateway's receive buffer: the receiver returns it (docs/decisions.md).</summary>
    private static byte[] Pooled(ReadOnlySpan<byte> packet)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, packet.Length));
        packet.CopyTo(buffer);
        return buffer;
    }

    private protected override void ReturnPooled(object message)
    {
        if (message is InboundPacket inbound)
        {
            ArrayPool<byte>.Shared.Return(inbound.Buffer);
        }
        else if (message is InboundPacketBatch batch)
        {
            foreach (var p in batch.Packets)
            {
                ArrayPool<byte>.Shared.Return(p.Buffer);
            }
        }
        else if (message is OutboundPacket outbound)
        {
            ArrayPool<byte>.Shared.Return(outbound.Buffer);
        }
    }

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
