using System.Buffers;
using System.Diagnostics;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Flash;

/// <summary>
/// One publisher message as relayed: the whole RTMP message (<c>type | timestamp | payload</c>, RFC 7425
/// §5.1.2) in one immutable buffer that every player sends unchanged, plus its classification.
/// </summary>
public sealed class MediaFrame : StreamEvent
{
    private MediaFrame(MediaFrameKind kind, RtmpMessageType type, uint timestamp, ReadOnlyMemory<byte> message, uint codec, string? handler)
    {
        Kind = kind;
        Type = type;
        Timestamp = timestamp;
        Message = message;
        Codec = codec;
        Handler = handler;
    }

    public MediaFrameKind Kind { get; }
    public RtmpMessageType Type { get; }
    public uint Timestamp { get; }

    /// <summary>The RTMP message bytes, header included.</summary>
    public ReadOnlyMemory<byte> Message { get; }

    /// <summary>Legacy SoundFormat/CodecID or enhanced FourCC; 0 when unknown (multitrack, data).</summary>
    public uint Codec { get; }

    /// <summary>For <see cref="MediaFrameKind.DataFrame"/> and <see cref="MediaFrameKind.ClearDataFrame"/>: the handler name (e.g. "onMetaData").</summary>
    public string? Handler { get; }

    /// <summary>
    /// When the frame reached this node (<see cref="Stopwatch"/> timestamp): parsed from its publisher here, or read from
    /// another node's message. A droppable frame's lifetime counts from here, once, through every queue on the node
    /// (the fan-out's mailbox, a player's stream queue, its flow), not again at each.
    /// </summary>
    public long ArrivedTimestamp { get; private init; } = Stopwatch.GetTimestamp();

    /// <summary>How long ago the frame reached this node.</summary>
    public TimeSpan Age => Stopwatch.GetElapsedTime(ArrivedTimestamp);

    /// <summary>Whether a player may skip this frame when it is late (RFC 7425 §5.1.1: stale live media is not worth sending; never sequence headers, metadata or special frames, without which a decoder cannot go on).</summary>
    public bool IsDroppable => Kind is MediaFrameKind.Audio or MediaFrameKind.VideoKeyframe or MediaFrameKind.VideoInter;

    public bool IsAudio => Kind is MediaFrameKind.AudioConfig or MediaFrameKind.Audio or MediaFrameKind.AudioSpecial;

    public bool IsVideo => Kind is MediaFrameKind.VideoConfig or MediaFrameKind.VideoKeyframe or MediaFrameKind.VideoInter or MediaFrameKind.VideoSpecial;

    /// <summary>
    /// Classifies a publisher's audio (8), video (9) or data (15/18) message and copies it once.
    /// Data messages are parsed: <c>@setDataFrame, handler, …</c> becomes a <see cref="MediaFrameKind.DataFrame"/>
    /// without the prefix, at timestamp 0 (MonaServer2: Flash ignores data at other timestamps);
    /// <c>@clearDataFrame, handler</c> a <see cref="MediaFrameKind.ClearDataFrame"/>. Fails on other
    /// types and on data that does not decode (the caller counts it as malformed).
    /// </summary>
    public static bool TryCreate(ReadOnlySpan<byte> rtmpMessage, AmfReader reader, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out MediaFrame? frame)
    {
        frame = null;
        if (!RtmpMessage.TryRead(rtmpMessage, out var message))
        {
            return false;
        }
        switch (message.Type)
        {
            case RtmpMessageType.Audio:
            case RtmpMessageType.Video:
                frame = CreateMedia(message.Type, message.Timestamp, rtmpMessage);
                return true;
            case RtmpMessageType.DataAmf0:
            case RtmpMessageType.DataAmf3:
                return TryCreateData(message, rtmpMessage, reader, out frame);
            default:
                return false;
        }
    }

    /// <summary>
    /// A frame exactly as another node classified it (cluster serialization): kind, type, timestamp, codec and
    /// handler are taken as given, not re-derived, since a <see cref="MediaFrameKind.DataFrame"/> no longer
    /// carries its <c>@setDataFrame</c> prefix and a <see cref="MediaFrameKind.ClearDataFrame"/> has no bytes.
    /// </summary>
    internal static MediaFrame FromParts(MediaFrameKind kind, RtmpMessageType type, uint timestamp, ReadOnlyMemory<byte> message, uint codec, string? handler) =>
        new(kind, type, timestamp, message, codec, handler);

    /// <summary>The same frame as if it had reached this node at <paramref name="timestamp"/> (tests).</summary>
    internal MediaFrame ArrivedAt(long timestamp) => new(Kind, Type, Timestamp, Message, Codec, Handler) { ArrivedTimestamp = timestamp };

    private static MediaFrame CreateMedia(RtmpMessageType type, uint timestamp, ReadOnlySpan<byte> rtmpMessage)
    {
        var payload = rtmpMessage[RtmpMessage.HeaderLength..];
        var (kind, codec) = type == RtmpMessageType.Audio ? ClassifyAudio(payload) : ClassifyVideo(payload);
        return new MediaFrame(kind, type, timestamp, rtmpMessage.ToArray(), codec, null);
    }

    private static (MediaFrameKind Kind, uint Codec) ClassifyAudio(ReadOnlySpan<byte> payload)
    {
        if (!AudioTag.TryParse(payload, out var tag))
        {
            return (MediaFrameKind.Audio, 0);
        }
        if (tag.IsSilence || tag.PacketType == AudioPacketType.SequenceEnd)
        {
            return (MediaFrameKind.AudioSpecial, 0);
        }
        return (tag.IsSequenceHeader ? MediaFrameKind.AudioConfig : MediaFrameKind.Audio, tag.Codec);
    }

    private static (MediaFrameKind Kind, uint Codec) ClassifyVideo(ReadOnlySpan<byte> payload)
    {
        if (!VideoTag.TryParse(payload, out var tag))
        {
            return (MediaFrameKind.VideoInter, 0);
        }
        if (tag.IsSequenceHeader)
        {
            return (MediaFrameKind.VideoConfig, tag.Codec);
        }
        if (tag.IsKeyframe
            || (tag.IsEnhanced && tag.FrameType == VideoFrameType.Key && tag.PacketType is VideoPacketType.Multitrack or VideoPacketType.ModEx))
        {
            return (MediaFrameKind.VideoKeyframe, tag.Codec);
        }
        if (tag.IsSilence || tag.IsEndOfSequence || tag.IsCommandFrame || tag.IsMetadata)
        {
            // Frame type 5 (video info/command) is never a keyframe; these special frames are always delivered.
            return (MediaFrameKind.VideoSpecial, tag.IsEndOfSequence ? tag.Codec : 0);
        }
        return (MediaFrameKind.VideoInter, tag.Codec);
    }

    private static bool TryCreateData(RtmpMessage message, ReadOnlySpan<byte> rtmpMessage, AmfReader reader, out MediaFrame? frame)
    {
        frame = null;
        if (!DataMessage.TryRead(message.Type, message.Payload, reader, out var data))
        {
            return false;
        }
        if (data.Handler == DataMessage.ClearDataFrame)
        {
            string? cleared = data.Values.Count > 0 ? data.Values[0].AsString : null;
            frame = new MediaFrame(MediaFrameKind.ClearDataFrame, message.Type, message.Timestamp, ReadOnlyMemory<byte>.Empty, 0, cleared ?? string.Empty);
            return true;
        }
        if (data.WithoutSetDataFrame() is { } inner)
        {
            frame = TryForwardWithoutPrefix(message, reader, inner.Handler!) ?? TryReencode(inner, rtmpMessage.Length);
            return frame is not null;
        }
        frame = new MediaFrame(MediaFrameKind.Data, message.Type, message.Timestamp, rtmpMessage.ToArray(), 0, data.Handler);
        return true;
    }

    /// <summary>What re-encoding an AMF3 data frame into AMF0 may produce: AMF3 integers and string references grow, never by more than this factor (plus <see cref="ReencodeSlack"/>).</summary>
    public const int MaxReencodeGrowth = 16;

    /// <summary>Bytes re-encoding may add to a short message regardless of its size.</summary>
    public const int ReencodeSlack = 4096;

    /// <summary>
    /// <c>@setDataFrame</c> as an AMF0 string (AMF0 §2.4) in front of pure AMF0 values: the stored frame is the
    /// publisher's own bytes after that string (RFC 7425 §5.1.2, docs/protocol-notes.md §6), never larger than what
    /// was received. Slicing keeps the AMF0 reference indices valid since a string takes no reference slot
    /// (AMF0 §4.1). Null when the message holds AMF3 (which players such as tcconn cannot read) or another prefix.
    /// </summary>
    private static MediaFrame? TryForwardWithoutPrefix(RtmpMessage message, AmfReader reader, string handler)
    {
        const int prefixLength = 3 + 13; // marker, U16 length, "@setDataFrame"
        if (reader.SwitchedToAmf3 || !message.TryGetAmfBody(out var body) || body.Length <= prefixLength || body[0] != 0x02
            || body[1] != 0 || body[2] != 13)
        {
            return null;
        }
        var values = body[prefixLength..];
        var bytes = new byte[RtmpMessage.HeaderLength + values.Length];
        RtmpMessage.WriteHeader(bytes, RtmpMessageType.DataAmf0, 0);
        values.CopyTo(bytes.AsSpan(RtmpMessage.HeaderLength));
        return new MediaFrame(MediaFrameKind.DataFrame, RtmpMessageType.DataAmf0, 0, bytes, 0, handler);
    }

    /// <summary>
    /// Re-encoded in pure AMF0 (type 18), which every client decodes, whatever encoding the publisher used
    /// (docs/protocol-notes.md §5). References are written out in full, so the output is bounded:
    /// <see cref="MaxReencodeGrowth"/> × the input plus <see cref="ReencodeSlack"/>, or the frame is refused.
    /// </summary>
    private static MediaFrame? TryReencode(DataMessage inner, int inputLength)
    {
        var buffer = new BoundedBufferWriter(((long)inputLength * MaxReencodeGrowth) + ReencodeSlack);
        try
        {
            inner.WriteMessage(buffer, new Amf0Writer(), timestamp: 0);
        }
        catch (BoundedBufferWriter.LimitExceededException)
        {
            return null;
        }
        return new MediaFrame(MediaFrameKind.DataFrame, RtmpMessageType.DataAmf0, 0, buffer.WrittenMemory, 0, inner.Handler);
    }

    /// <summary>An <see cref="ArrayBufferWriter{T}"/> that refuses to hold more than a limit.</summary>
    private sealed class BoundedBufferWriter(long limit) : IBufferWriter<byte>
    {
        private readonly ArrayBufferWriter<byte> _inner = new(256);

        public ReadOnlyMemory<byte> WrittenMemory => _inner.WrittenMemory;

        public void Advance(int count)
        {
            Check(count);
            _inner.Advance(count);
        }

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Check(sizeHint);
            return _inner.GetMemory(sizeHint);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Check(sizeHint);
            return _inner.GetSpan(sizeHint);
        }

        private void Check(int more)
        {
            if (_inner.WrittenCount + (long)more > limit)
            {
                throw new LimitExceededException();
            }
        }

        public sealed class LimitExceededException : Exception
        {
        }
    }
}
