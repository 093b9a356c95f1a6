using Rtmfp.Shared.Flash;

namespace Rtmfp.Client.Flash;

/// <summary>
/// One RTMP message the server sent on a stream (RFC 7425 §5.1.2: type, timestamp, payload; the stream ID comes
/// from its flow's metadata). Commands and data messages come decoded.
/// </summary>
public sealed class FlashMessage
{
    internal FlashMessage(uint streamId, RtmpMessageType type, uint timestamp, ReadOnlyMemory<byte> payload, long receivedTimestamp,
        Command? command, DataMessage? data)
    {
        StreamId = streamId;
        Type = type;
        Timestamp = timestamp;
        Payload = payload;
        ReceivedTimestamp = receivedTimestamp;
        Command = command;
        Data = data;
    }

    public uint StreamId { get; }
    public RtmpMessageType Type { get; }
    public uint Timestamp { get; }

    /// <summary>The message body after the 5-byte header (e.g. the FLV audio or video tag).</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>When the message left its flow: a <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> value.</summary>
    public long ReceivedTimestamp { get; }

    /// <summary>
    /// When the datagram that completed the message reached the socket (<see cref="RtmfpClientOptions.KernelReceiveTimestamps"/>)
    /// or the event loop read it: before <see cref="ReceivedTimestamp"/> by the client's own queueing. Where the message
    /// did not come through an event loop, the same as <see cref="ReceivedTimestamp"/>.
    /// </summary>
    public long ArrivedTimestamp
    {
        get => _arrivedTimestamp == 0 ? ReceivedTimestamp : _arrivedTimestamp;
        init => _arrivedTimestamp = value;
    }

    private readonly long _arrivedTimestamp;

    /// <summary>Decoded command (types 17 and 20).</summary>
    public Command? Command { get; }

    /// <summary>Decoded data message (types 15 and 18), e.g. onMetaData.</summary>
    public DataMessage? Data { get; }

    /// <summary>The info object's code of an onStatus command (e.g. NetStream.Play.Start).</summary>
    public string? StatusCode =>
        Command is { Name: CommandName.OnStatus } c && NetStatus.TryReadInfo(c.Argument(0), out _, out var code, out _) ? code : null;

    /// <summary>The info object's level of an onStatus command ("status", "error", "warning").</summary>
    public string? StatusLevel =>
        Command is { Name: CommandName.OnStatus } c && NetStatus.TryReadInfo(c.Argument(0), out var level, out _, out _) ? level : null;

    public override string ToString() => Command?.ToString() ?? Data?.Handler ?? $"{Type} @{Timestamp} ({Payload.Length} bytes)";
}
