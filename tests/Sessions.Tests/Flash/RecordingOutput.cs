using Rtmfp.Cluster;
using Rtmfp.Flash;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Sessions.Tests.Flash;

/// <summary>What a connection sent, in order; can refuse stream messages to simulate a congested transport.</summary>
public sealed class RecordingOutput : IFlashConnectionOutput
{
    public sealed record Sent(uint StreamId, ReadOnlyMemory<byte> Message, MessageClass Class, DeliveryHints Hints, bool IsBarrier = false)
    {
        public RtmpMessageType Type => (RtmpMessageType)Message.Span[0];
        public uint Timestamp => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(Message.Span[1..]);
        public bool IsMedia => !IsBarrier && Type is RtmpMessageType.Audio or RtmpMessageType.Video;

        public Command? AsCommand()
        {
            if (IsBarrier || !RtmpMessage.TryRead(Message.Span, out var m) || !Command.TryRead(m, new AmfReader(), out var c))
            {
                return null;
            }
            return c;
        }

        /// <summary>Code of an onStatus / _result / _error info object, or null.</summary>
        public string? StatusCode => AsCommand() is { } c && NetStatus.TryReadInfo(c.Argument(0), out _, out var code, out _) ? code : null;

        public string? StatusLevel => AsCommand() is { } c && NetStatus.TryReadInfo(c.Argument(0), out var level, out _, out _) ? level : null;
    }

    public List<Sent> Messages { get; } = [];
    public List<uint> ClosedStreams { get; } = [];
    public ConnectionCloseKind? ClosedAs { get; private set; }

    /// <summary>While true, every non-control message is refused (back-pressure).</summary>
    public bool Blocked { get; set; }

    public bool Send(uint streamId, ReadOnlyMemory<byte> rtmpMessage, MessageClass messageClass, DeliveryHints hints)
    {
        Assert.True(rtmpMessage.Length >= RtmpMessage.HeaderLength);
        if (Blocked && messageClass != MessageClass.Control)
        {
            return false;
        }
        Messages.Add(new Sent(streamId, rtmpMessage, messageClass, hints));
        return true;
    }

    public void Synchronize(uint streamId) => Messages.Add(new Sent(streamId, new byte[RtmpMessage.HeaderLength], MessageClass.StreamStatus, default, IsBarrier: true));

    public void CloseStream(uint streamId) => ClosedStreams.Add(streamId);

    public void Close(ConnectionCloseKind kind) => ClosedAs ??= kind;

    public IEnumerable<Sent> OnStream(uint streamId) => Messages.Where(m => m.StreamId == streamId);

    public List<string> StatusCodes(uint streamId) => [.. OnStream(streamId).Select(m => m.StatusCode).OfType<string>()];

    public List<Sent> Media(uint streamId) => [.. OnStream(streamId).Where(m => m.IsMedia)];

    public void Clear() => Messages.Clear();
}
