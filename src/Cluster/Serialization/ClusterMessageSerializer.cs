using System.Buffers;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using Rtmfp.Flash;
using Rtmfp.Cluster;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Cluster;

/// <summary>
/// Compact binary form of every message that crosses nodes between gateways, session entities, stream
/// entities and the peer directory (SessionProtocol, RendezvousProtocol, StreamProtocol). Pooled packet
/// buffers travel as their used slice and are rented again from <see cref="ArrayPool{T}.Shared"/> on the
/// receiving node, whose receiver returns them as it does locally (docs/decisions.md, "Gateway ↔ session").
/// Actor references travel as their serialized paths.
/// </summary>
public sealed class ClusterMessageSerializer : SerializerWithStringManifest
{
    /// <summary>Fixed for the cluster's life: nodes of one cluster must agree (RFC 7016 is 7016).</summary>
    public const int SerializerIdentifier = 7016;

    /// <summary>The name of the serializer in Akka's configuration.</summary>
    public const string SerializerName = "rtmfp";

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
        public const string RegisterPeer = "rp";
        public const string UnregisterPeer = "up";
        public const string LookupPeer = "lp";
        public const string PeerDirectoryStopped = "ds";
        public const string PeerRedirect = "pr";
        public const string PublishStream = "ps";
        public const string PublishStreamResult = "pa";
        public const string UnpublishStream = "un";
        public const string PublishStreamFrame = "pf";
        public const string SubscribeStream = "ss";
        public const string UnsubscribeStream = "su";
        public const string QueryStreamLive = "ql";
        public const string StreamLiveReply = "lr";
        public const string StreamEventDelivery = "ed";
        public const string StreamEntityStopped = "es";
        public const string PublishNotify = "pn";
        public const string UnpublishNotify = "uu";
        public const string MediaFrame = "mf";
    }

    /// <summary>Every type this serializer handles; bound by <see cref="ClusterSerializationHosting"/>.</summary>
    public static IReadOnlyList<Type> BoundTypes { get; } =
    [
        typeof(OpenSession), typeof(SessionOpened), typeof(SessionIdCollision), typeof(InboundPacket), typeof(OutboundPacket),
        typeof(FetchSessionKeys), typeof(SessionKeysReply), typeof(UnknownSession), typeof(SessionClosed), typeof(CloseSession),
        typeof(SessionHandOff),
        typeof(RegisterPeer), typeof(UnregisterPeer), typeof(LookupPeer), typeof(PeerDirectoryStopped), typeof(PeerRedirect),
        typeof(PublishStream), typeof(PublishStreamResult), typeof(UnpublishStream), typeof(PublishStreamFrame),
        typeof(SubscribeStream), typeof(UnsubscribeStream), typeof(QueryStreamLive), typeof(StreamLiveReply),
        typeof(StreamEventDelivery), typeof(StreamEntityStopped),
        typeof(PublishNotify), typeof(UnpublishNotify), typeof(MediaFrame),
    ];

    // Stream event tags inside StreamEventDelivery.
    private const byte PublishNotifyTag = 0;
    private const byte UnpublishNotifyTag = 1;
    private const byte MediaFrameTag = 2;

    [ThreadStatic]
    private static ClusterMessageWriter? t_writer;

    public ClusterMessageSerializer(ExtendedActorSystem system) : base(system)
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
        RegisterPeer => Manifests.RegisterPeer,
        UnregisterPeer => Manifests.UnregisterPeer,
        LookupPeer => Manifests.LookupPeer,
        PeerDirectoryStopped => Manifests.PeerDirectoryStopped,
        PeerRedirect => Manifests.PeerRedirect,
        PublishStream => Manifests.PublishStream,
        PublishStreamResult => Manifests.PublishStreamResult,
        UnpublishStream => Manifests.UnpublishStream,
        PublishStreamFrame => Manifests.PublishStreamFrame,
        SubscribeStream => Manifests.SubscribeStream,
        UnsubscribeStream => Manifests.UnsubscribeStream,
        QueryStreamLive => Manifests.QueryStreamLive,
        StreamLiveReply => Manifests.StreamLiveReply,
        StreamEventDelivery => Manifests.StreamEventDelivery,
        StreamEntityStopped => Manifests.StreamEntityStopped,
        PublishNotify => Manifests.PublishNotify,
        UnpublishNotify => Manifests.UnpublishNotify,
        MediaFrame => Manifests.MediaFrame,
        _ => throw new ArgumentException($"{o.GetType()} is not a cluster message", nameof(o)),
    };

    public override byte[] ToBinary(object obj)
    {
        var w = t_writer ??= new ClusterMessageWriter();
        w.Clear();
        switch (obj)
        {
            case OpenSession m:
                w.WriteUInt32(m.SessionId);
                w.WriteUInt32(m.FarSessionId);
                w.WriteBytes(m.Cookie);
                WriteCrypto(w, m.Crypto);
                w.WriteBytes(m.FarPeerId);
                w.WriteBytes(m.EndpointDiscriminator);
                w.WriteSocketAddress(m.FarAddress);
                w.WriteBytes(m.RIKeyingPacket);
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
            case FetchSessionKeys m:
                w.WriteUInt32(m.SessionId);
                break;
            case SessionKeysReply m:
                w.WriteUInt32(m.SessionId);
                w.WriteUInt32(m.FarSessionId);
                WriteCrypto(w, m.Crypto);
                w.WriteSocketAddress(m.FarAddress);
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
            case RegisterPeer m:
                w.WriteBytes(m.PeerId);
                break;
            case UnregisterPeer m:
                w.WriteBytes(m.PeerId);
                break;
            case LookupPeer m:
                w.WriteBytes(m.PeerId);
                w.WriteBytes(m.Tag);
                w.WriteSocketAddress(m.Initiator);
                break;
            case PeerDirectoryStopped m:
                w.WriteBytes(m.PeerId);
                break;
            case PeerRedirect m:
                w.WriteBytes(m.StartupPacket);
                w.WriteSocketAddress(m.To);
                break;
            case PublishStream m:
                WriteStreamKey(w, m.Stream);
                WritePublisher(w, m.Publisher);
                w.WriteString(Akka.Serialization.Serialization.SerializedActorPath(m.Session));
                break;
            case PublishStreamResult m:
                WriteStreamKey(w, m.Stream);
                WritePublisher(w, m.Publisher);
                w.WriteBool(m.Accepted);
                break;
            case UnpublishStream m:
                WriteStreamKey(w, m.Stream);
                WritePublisher(w, m.Publisher);
                break;
            case PublishStreamFrame m:
                WriteStreamKey(w, m.Stream);
                WritePublisher(w, m.Publisher);
                WriteMediaFrame(w, m.Frame);
                break;
            case SubscribeStream m:
                WriteStreamKey(w, m.Stream);
                w.WriteString(Akka.Serialization.Serialization.SerializedActorPath(m.Session));
                w.WriteInt64(m.SubscriptionId);
                break;
            case UnsubscribeStream m:
                WriteStreamKey(w, m.Stream);
                w.WriteString(Akka.Serialization.Serialization.SerializedActorPath(m.Session));
                w.WriteInt64(m.SubscriptionId);
                break;
            case QueryStreamLive m:
                WriteStreamKey(w, m.Stream);
                break;
            case StreamLiveReply m:
                WriteStreamKey(w, m.Stream);
                w.WriteBool(m.IsLive);
                break;
            case StreamEventDelivery m:
                w.WriteInt64(m.SubscriptionId);
                WriteStreamEvent(w, m.Event);
                break;
            case StreamEntityStopped m:
                WriteStreamKey(w, m.Stream);
                break;
            case PublishNotify m:
                WriteStreamKey(w, m.Stream);
                break;
            case UnpublishNotify m:
                WriteStreamKey(w, m.Stream);
                break;
            case MediaFrame m:
                WriteMediaFrame(w, m);
                break;
            default:
                throw new ArgumentException($"{obj.GetType()} is not a cluster message", nameof(obj));
        }
        return w.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        var r = new ClusterMessageReader(bytes, manifest);
        object message = manifest switch
        {
            Manifests.OpenSession => new OpenSession(r.ReadUInt32(), r.ReadUInt32(), r.ReadByteArray(), ReadCrypto(ref r),
                r.ReadByteArray(), r.ReadByteArray(), r.ReadSocketAddress(), r.ReadByteArray()),
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
            Manifests.RegisterPeer => new RegisterPeer(r.ReadByteArray()),
            Manifests.UnregisterPeer => new UnregisterPeer(r.ReadByteArray()),
            Manifests.LookupPeer => new LookupPeer(r.ReadByteArray(), r.ReadByteArray(), r.ReadSocketAddress()),
            Manifests.PeerDirectoryStopped => new PeerDirectoryStopped(r.ReadByteArray()),
            Manifests.PeerRedirect => new PeerRedirect(r.ReadByteArray(), r.ReadSocketAddress()),
            Manifests.PublishStream => new PublishStream(ReadStreamKey(ref r), ReadPublisher(ref r), ReadActorRef(ref r)),
            Manifests.PublishStreamResult => new PublishStreamResult(ReadStreamKey(ref r), ReadPublisher(ref r), r.ReadBool()),
            Manifests.UnpublishStream => new UnpublishStream(ReadStreamKey(ref r), ReadPublisher(ref r)),
            Manifests.PublishStreamFrame => new PublishStreamFrame(ReadStreamKey(ref r), ReadPublisher(ref r), ReadMediaFrame(ref r)),
            Manifests.SubscribeStream => new SubscribeStream(ReadStreamKey(ref r), ReadActorRef(ref r), r.ReadInt64()),
            Manifests.UnsubscribeStream => new UnsubscribeStream(ReadStreamKey(ref r), ReadActorRef(ref r), r.ReadInt64()),
            Manifests.QueryStreamLive => new QueryStreamLive(ReadStreamKey(ref r)),
            Manifests.StreamLiveReply => new StreamLiveReply(ReadStreamKey(ref r), r.ReadBool()),
            Manifests.StreamEventDelivery => new StreamEventDelivery(r.ReadInt64(), ReadStreamEvent(ref r)),
            Manifests.StreamEntityStopped => new StreamEntityStopped(ReadStreamKey(ref r)),
            Manifests.PublishNotify => new PublishNotify(ReadStreamKey(ref r)),
            Manifests.UnpublishNotify => new UnpublishNotify(ReadStreamKey(ref r)),
            Manifests.MediaFrame => ReadMediaFrame(ref r),
            _ => throw new SerializationException($"unknown cluster message manifest '{manifest}'"),
        };
        try
        {
            r.End();
        }
        catch (SerializationException)
        {
            ReturnPooled(message);
            throw;
        }
        return message;
    }

    // ---------------------------------------------------------------- packets

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

    /// <summary>A message rejected after its buffer was rented gives the buffer back.</summary>
    private static void ReturnPooled(object message)
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

    // ---------------------------------------------------------------- crypto

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

    // ---------------------------------------------------------------- streams

    private static void WriteStreamKey(ClusterMessageWriter w, StreamKey key)
    {
        w.WriteString(key.Application);
        w.WriteString(key.Name);
    }

    private static StreamKey ReadStreamKey(ref ClusterMessageReader r) => new(r.ReadString(), r.ReadString());

    private static void WritePublisher(ClusterMessageWriter w, PublisherId publisher)
    {
        w.WriteInt64(publisher.ConnectionId);
        w.WriteUInt32(publisher.StreamId);
    }

    private static PublisherId ReadPublisher(ref ClusterMessageReader r) => new(r.ReadInt64(), r.ReadUInt32());

    private IActorRef ReadActorRef(ref ClusterMessageReader r)
    {
        string path = r.ReadString();
        // An unknown but well-formed path resolves to dead letters (the actor may be gone); garbage is an error.
        // Akka's parser and resolver throw FormatException and others on some malformed names and UIDs.
        try
        {
            if (ActorPath.TryParse(path, out _))
            {
                return system.Provider.ResolveActorRef(path);
            }
        }
        catch (Exception e) when (e is not SerializationException)
        {
        }
        throw r.Error("actor path");
    }

    private static void WriteMediaFrame(ClusterMessageWriter w, MediaFrame frame)
    {
        w.WriteByte((byte)frame.Kind);
        w.WriteByte((byte)frame.Type);
        w.WriteUInt32(frame.Timestamp);
        w.WriteUInt32(frame.Codec);
        w.WriteNullableString(frame.Handler);
        w.WriteBytes(frame.Message.Span);
    }

    private static MediaFrame ReadMediaFrame(ref ClusterMessageReader r)
    {
        var kind = (MediaFrameKind)r.ReadByte();
        var type = (RtmpMessageType)r.ReadByte();
        uint timestamp = r.ReadUInt32();
        uint codec = r.ReadUInt32();
        string? handler = r.ReadNullableString();
        var message = r.ReadByteArray();
        if (kind > MediaFrameKind.ClearDataFrame)
        {
            throw r.Error("media frame kind");
        }
        if (type is not (RtmpMessageType.Audio or RtmpMessageType.Video or RtmpMessageType.DataAmf0 or RtmpMessageType.DataAmf3))
        {
            throw r.Error("media frame type");
        }
        return MediaFrame.FromParts(kind, type, timestamp, message, codec, handler);
    }

    private static void WriteStreamEvent(ClusterMessageWriter w, StreamEvent streamEvent)
    {
        switch (streamEvent)
        {
            case PublishNotify p:
                w.WriteByte(PublishNotifyTag);
                WriteStreamKey(w, p.Stream);
                break;
            case UnpublishNotify u:
                w.WriteByte(UnpublishNotifyTag);
                WriteStreamKey(w, u.Stream);
                break;
            case MediaFrame f:
                w.WriteByte(MediaFrameTag);
                WriteMediaFrame(w, f);
                break;
            default:
                throw new ArgumentException($"{streamEvent.GetType()} is not a stream event", nameof(streamEvent));
        }
    }

    private static StreamEvent ReadStreamEvent(ref ClusterMessageReader r) => r.ReadByte() switch
    {
        PublishNotifyTag => new PublishNotify(ReadStreamKey(ref r)),
        UnpublishNotifyTag => new UnpublishNotify(ReadStreamKey(ref r)),
        MediaFrameTag => ReadMediaFrame(ref r),
        _ => throw r.Error("stream event tag"),
    };
}
