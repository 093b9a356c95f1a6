using Akka.Actor;
using Rtmfp.Flash;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Cluster;

/// <summary>
/// The stream protocol's messages (StreamProtocol.cs) between sessions and stream entities, with the stream
/// events and media frames they carry.
/// </summary>
internal sealed class StreamProtocolSerializer(ExtendedActorSystem system) : ProtocolSerializer(system, Messages)
{
    public const int SerializerIdentifier = 7018;

    // Stream event tags inside StreamEventDelivery.
    private const byte PublishNotifyTag = 0;
    private const byte UnpublishNotifyTag = 1;
    private const byte MediaFrameTag = 2;

    public static ProtocolMessages Messages { get; } = new ProtocolMessages()
        .Add<PublishStream>("ps",
            static (w, m) =>
            {
                WritePublication(w, m.Stream, m.Publisher);
                w.WriteActorRef(m.Session);
            },
            static (ref ClusterMessageReader r) => new PublishStream(ReadStreamKey(ref r), ReadPublisher(ref r), r.ReadActorRef()))
        .Add<PublishStreamResult>("pa",
            static (w, m) =>
            {
                WritePublication(w, m.Stream, m.Publisher);
                w.WriteBool(m.Accepted);
                w.WriteActorRef(m.Entity);
            },
            static (ref ClusterMessageReader r) =>
                new PublishStreamResult(ReadStreamKey(ref r), ReadPublisher(ref r), r.ReadBool(), r.ReadActorRef()))
        .Add<UnpublishStream>("un", static (w, m) => WritePublication(w, m.Stream, m.Publisher),
            static (ref ClusterMessageReader r) => new UnpublishStream(ReadStreamKey(ref r), ReadPublisher(ref r)))
        .Add<PublishStreamFrame>("pf",
            static (w, m) =>
            {
                WritePublication(w, m.Stream, m.Publisher);
                WriteMediaFrame(w, m.Frame);
            },
            static (ref ClusterMessageReader r) => new PublishStreamFrame(ReadStreamKey(ref r), ReadPublisher(ref r), ReadMediaFrame(ref r)))
        .Add<SubscribeStream>("ss",
            static (w, m) =>
            {
                WriteSubscription(w, m.Stream, m.Session, m.SubscriptionId);
                WriteOptionalActorRef(w, m.Fanout);
            },
            static (ref ClusterMessageReader r) => new SubscribeStream(ReadStreamKey(ref r), r.ReadActorRef(), r.ReadInt64(), ReadOptionalActorRef(ref r)))
        .Add<UnsubscribeStream>("su", static (w, m) => WriteSubscription(w, m.Stream, m.Session, m.SubscriptionId),
            static (ref ClusterMessageReader r) => new UnsubscribeStream(ReadStreamKey(ref r), r.ReadActorRef(), r.ReadInt64()))
        .Add<QueryStreamLive>("ql", static (w, m) => WriteStreamKey(w, m.Stream),
            static (ref ClusterMessageReader r) => new QueryStreamLive(ReadStreamKey(ref r)))
        .Add<StreamLiveReply>("lr",
            static (w, m) =>
            {
                WriteStreamKey(w, m.Stream);
                w.WriteBool(m.IsLive);
            },
            static (ref ClusterMessageReader r) => new StreamLiveReply(ReadStreamKey(ref r), r.ReadBool()))
        .Add<StreamEventDelivery>("ed",
            static (w, m) =>
            {
                w.WriteInt64(m.SubscriptionId);
                WriteStreamEvent(w, m.Event);
            },
            static (ref ClusterMessageReader r) => new StreamEventDelivery(r.ReadInt64(), ReadStreamEvent(ref r)))
        .Add<StreamEntityStopped>("es", static (w, m) => WriteStreamKey(w, m.Stream),
            static (ref ClusterMessageReader r) => new StreamEntityStopped(ReadStreamKey(ref r)))
        .Add<StreamSubscribed>("sd",
            static (w, m) =>
            {
                WriteStreamKey(w, m.Stream);
                w.WriteInt64(m.SubscriptionId);
            },
            static (ref ClusterMessageReader r) => new StreamSubscribed(ReadStreamKey(ref r), r.ReadInt64()))
        .Add<PublishNotify>("pn", static (w, m) => WriteStreamKey(w, m.Stream),
            static (ref ClusterMessageReader r) => new PublishNotify(ReadStreamKey(ref r)))
        .Add<UnpublishNotify>("uu", static (w, m) => WriteStreamKey(w, m.Stream),
            static (ref ClusterMessageReader r) => new UnpublishNotify(ReadStreamKey(ref r)))
        .Add<MediaFrame>("mf", WriteMediaFrame, ReadMediaFrame)
        .Add<StreamNodeJoin>("nj", static (w, m) => WriteSubscription(w, m.Stream, m.Session, m.SubscriptionId),
            static (ref ClusterMessageReader r) => new StreamNodeJoin(ReadStreamKey(ref r), r.ReadActorRef(), r.ReadInt64()))
        .Add<StreamNodeLeave>("nl", static (w, m) => WriteSubscription(w, m.Stream, m.Session, m.SubscriptionId),
            static (ref ClusterMessageReader r) => new StreamNodeLeave(ReadStreamKey(ref r), r.ReadActorRef(), r.ReadInt64()))
        .Add<StreamNodeEvent>("ne",
            static (w, m) =>
            {
                WriteStreamKey(w, m.Stream);
                WriteStreamEvent(w, m.Event);
                WriteOptionalActorRef(w, m.Session);
                w.WriteInt64(m.SubscriptionId);
            },
            static (ref ClusterMessageReader r) =>
                new StreamNodeEvent(ReadStreamKey(ref r), ReadStreamEvent(ref r), ReadOptionalActorRef(ref r), r.ReadInt64()));

    public override int Identifier => SerializerIdentifier;

    private static void WritePublication(ClusterMessageWriter w, StreamKey stream, PublisherId publisher)
    {
        WriteStreamKey(w, stream);
        WritePublisher(w, publisher);
    }

    private static void WriteSubscription(ClusterMessageWriter w, StreamKey stream, IActorRef session, long subscriptionId)
    {
        WriteStreamKey(w, stream);
        w.WriteActorRef(session);
        w.WriteInt64(subscriptionId);
    }

    private static void WriteOptionalActorRef(ClusterMessageWriter w, IActorRef? actor)
    {
        w.WriteBool(actor is not null);
        if (actor is not null)
        {
            w.WriteActorRef(actor);
        }
    }

    private static IActorRef? ReadOptionalActorRef(ref ClusterMessageReader r) => r.ReadBool() ? r.ReadActorRef() : null;

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
