using Akka.Actor;
using Rtmfp.Flash;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Cluster;

/// <summary>
/// The stream protocol's messages (StreamProtocol.cs) between sessions and stream entities, with the stream
/// events and media frames they carry.
/// </summary>
internal sealed class StreamProtocolSerializer : ProtocolSerializer
{
    public const int SerializerIdentifier = 7018;

    private static class Manifests
    {
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
        public const string StreamSubscribed = "sd";
        public const string PublishNotify = "pn";
        public const string UnpublishNotify = "uu";
        public const string MediaFrame = "mf";
    }

    public static IReadOnlyList<Type> BoundTypes { get; } =
    [
        typeof(PublishStream), typeof(PublishStreamResult), typeof(UnpublishStream), typeof(PublishStreamFrame),
        typeof(SubscribeStream), typeof(UnsubscribeStream), typeof(QueryStreamLive), typeof(StreamLiveReply),
        typeof(StreamEventDelivery), typeof(StreamEntityStopped), typeof(StreamSubscribed),
        typeof(PublishNotify), typeof(UnpublishNotify), typeof(MediaFrame),
    ];

    // Stream event tags inside StreamEventDelivery.
    private const byte PublishNotifyTag = 0;
    private const byte UnpublishNotifyTag = 1;
    private const byte MediaFrameTag = 2;

    public StreamProtocolSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    public override int Identifier => SerializerIdentifier;

    public override string Manifest(object o) => o switch
    {
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
        StreamSubscribed => Manifests.StreamSubscribed,
        PublishNotify => Manifests.PublishNotify,
        UnpublishNotify => Manifests.UnpublishNotify,
        MediaFrame => Manifests.MediaFrame,
        _ => throw NotOurs(o),
    };

    private protected override void Write(ClusterMessageWriter w, object message)
    {
        switch (message)
        {
            case PublishStream m:
                WriteStreamKey(w, m.Stream);
                WritePublisher(w, m.Publisher);
                WriteActorRef(w, m.Session);
                break;
            case PublishStreamResult m:
                WriteStreamKey(w, m.Stream);
                WritePublisher(w, m.Publisher);
                w.WriteBool(m.Accepted);
                WriteActorRef(w, m.Entity);
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
                WriteActorRef(w, m.Session);
                w.WriteInt64(m.SubscriptionId);
                break;
            case UnsubscribeStream m:
                WriteStreamKey(w, m.Stream);
                WriteActorRef(w, m.Session);
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
            case StreamSubscribed m:
                WriteStreamKey(w, m.Stream);
                w.WriteInt64(m.SubscriptionId);
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
                throw NotOurs(message);
        }
    }

    private protected override object Read(ref ClusterMessageReader r, string manifest) => manifest switch
    {
        Manifests.PublishStream => new PublishStream(ReadStreamKey(ref r), ReadPublisher(ref r), ReadActorRef(ref r)),
        Manifests.PublishStreamResult => new PublishStreamResult(ReadStreamKey(ref r), ReadPublisher(ref r), r.ReadBool(), ReadActorRef(ref r)),
        Manifests.UnpublishStream => new UnpublishStream(ReadStreamKey(ref r), ReadPublisher(ref r)),
        Manifests.PublishStreamFrame => new PublishStreamFrame(ReadStreamKey(ref r), ReadPublisher(ref r), ReadMediaFrame(ref r)),
        Manifests.SubscribeStream => new SubscribeStream(ReadStreamKey(ref r), ReadActorRef(ref r), r.ReadInt64()),
        Manifests.UnsubscribeStream => new UnsubscribeStream(ReadStreamKey(ref r), ReadActorRef(ref r), r.ReadInt64()),
        Manifests.QueryStreamLive => new QueryStreamLive(ReadStreamKey(ref r)),
        Manifests.StreamLiveReply => new StreamLiveReply(ReadStreamKey(ref r), r.ReadBool()),
        Manifests.StreamEventDelivery => new StreamEventDelivery(r.ReadInt64(), ReadStreamEvent(ref r)),
        Manifests.StreamEntityStopped => new StreamEntityStopped(ReadStreamKey(ref r)),
        Manifests.StreamSubscribed => new StreamSubscribed(ReadStreamKey(ref r), r.ReadInt64()),
        Manifests.PublishNotify => new PublishNotify(ReadStreamKey(ref r)),
        Manifests.UnpublishNotify => new UnpublishNotify(ReadStreamKey(ref r)),
        Manifests.MediaFrame => ReadMediaFrame(ref r),
        _ => throw UnknownManifest(manifest),
    };

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
