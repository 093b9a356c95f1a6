using System.Buffers;
using System.Threading.Channels;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Client.Flash;

/// <summary>
/// A NetStream (RFC 7425 §5.3.5): commands and data on its own "TC" flow, audio and video each on another flow with
/// the same stream ID (audio in network-arrival order, §5.1.1). Received messages of the stream, in per-flow order,
/// on <see cref="Messages"/>. Thread-safe.
/// </summary>
public sealed class FlashNetStream
{
    private readonly FlashNetConnection _owner;
    private readonly FlashSendFlow _commands;
    private readonly Lazy<FlashSendFlow> _audio;
    private readonly Lazy<FlashSendFlow> _video;
    private readonly Channel<FlashMessage> _messages = Channel.CreateUnbounded<FlashMessage>();
    private readonly object _lock = new();
    private readonly List<(Func<FlashMessage, bool?> Decide, TaskCompletionSource<FlashMessage> Done)> _waiters = [];

    internal FlashNetStream(FlashNetConnection owner, uint streamId)
    {
        _owner = owner;
        StreamId = streamId;
        var connection = owner.Connection;
        ulong? control = owner.ServerControlFlowId;
        _commands = new FlashSendFlow(connection, streamId, StreamFlowKind.Data, ReceiveIntent.OriginalQueuingOrder, control);
        _audio = new(() => new FlashSendFlow(connection, streamId, StreamFlowKind.Audio, ReceiveIntent.NetworkArrivalOrder, control));
        _video = new(() => new FlashSendFlow(connection, streamId, StreamFlowKind.Video, ReceiveIntent.OriginalQueuingOrder, control));
    }

    public uint StreamId { get; }

    /// <summary>Everything the server sent on this stream: onStatus, data (onMetaData), audio, video, user control.</summary>
    public ChannelReader<FlashMessage> Messages => _messages.Reader;

    /// <summary>
    /// publish (RFC 7425 §5.3.5.1); completes on NetStream.Publish.Start, throws <see cref="FlashCallException"/> with the
    /// status code on an error status (e.g. NetStream.Publish.BadName), <see cref="TimeoutException"/> without a status
    /// within <see cref="RtmfpClientOptions.AnswerTimeout"/>.
    /// </summary>
    public Task<FlashMessage> PublishAsync(string name, string type = "live", CancellationToken cancellationToken = default) =>
        CommandAsync(new Command(CommandName.Publish, 0, AmfNull.Instance, name, type), StatusCode.PublishStart, cancellationToken);

    /// <summary>
    /// play; completes on NetStream.Play.Start (after Play.Reset), throws on an error status (e.g. Play.StreamNotFound)
    /// or without a status within <see cref="RtmfpClientOptions.AnswerTimeout"/>.
    /// </summary>
    public async Task<FlashMessage> PlayAsync(string name, CancellationToken cancellationToken = default)
    {
        var start = await CommandAsync(new Command(CommandName.Play, 0, AmfNull.Instance, name), StatusCode.PlayStart, cancellationToken)
            .ConfigureAwait(false);
        // A player sends nothing but acknowledgements: once media stops reaching it, a keepalive is how soon its
        // server hears from it again (RFC 7016 §3.5.4.1), e.g. through another gateway after its own died.
        var connection = _owner.Connection;
        connection.TightenKeepalive(connection.Options.PlayingKeepaliveInterval);
        return start;
    }

    /// <summary>An audio message (FLV audio tag) on the audio flow; a lifetime lets stale audio be abandoned.</summary>
    public bool SendAudio(uint timestamp, ReadOnlySpan<byte> tag, TimeSpan? lifetime = null) =>
        _audio.Value.Write(Message(RtmpMessageType.Audio, timestamp, tag), lifetime);

    /// <summary>A video message (FLV video tag) on the video flow; with a lifetime it is partially reliable.</summary>
    public bool SendVideo(uint timestamp, ReadOnlySpan<byte> tag, TimeSpan? lifetime = null) =>
        _video.Value.Write(Message(RtmpMessageType.Video, timestamp, tag), lifetime);

    /// <summary>@setDataFrame("onMetaData", metadata): the server keeps it for late joiners.</summary>
    public bool SendMetadata(AmfValue metadata, uint timestamp = 0) =>
        SendData(new DataMessage(DataMessage.SetDataFrame, DataMessage.OnMetaData, metadata), timestamp);

    /// <summary>Any data message on the stream's command flow.</summary>
    public bool SendData(DataMessage data, uint timestamp = 0)
    {
        var buffer = new ArrayBufferWriter<byte>();
        data.WriteMessage(buffer, new Amf0Writer(), timestamp);
        return _commands.Write(buffer.WrittenSpan.ToArray());
    }

    /// <summary>Any command on the stream's flow (transaction ID 0).</summary>
    public bool Send(string name, params AmfValue[] arguments) =>
        _commands.Write(new Command(name, 0, AmfNull.Instance, arguments).ToMessage());

    /// <summary>
    /// Waits until the server acknowledged (or the flows abandoned) everything sent on this stream so far, at most
    /// <paramref name="timeout"/>; true when all of it went. Call it before closing the connection: closing a session
    /// drops what still waits for the congestion window (RFC 7016 §3.5.5), so a publisher that closes at once loses
    /// its last frames for every player.
    /// </summary>
    public async Task<bool> FlushAsync(TimeSpan timeout)
    {
        long deadline = MonotonicClock.NowMs + (long)timeout.TotalMilliseconds;
        bool drained = await _commands.DrainAsync(timeout).ConfigureAwait(false);
        foreach (var flow in new[] { _audio, _video })
        {
            if (flow.IsValueCreated)
            {
                var left = TimeSpan.FromMilliseconds(deadline - MonotonicClock.NowMs);
                drained &= left > TimeSpan.Zero && await flow.Value.DrainAsync(left).ConfigureAwait(false);
            }
        }
        return drained;
    }

    /// <summary>closeStream: stop publishing or playing; the stream ID stays usable.</summary>
    public void Close() => Send(CommandName.CloseStream);

    /// <summary>deleteStream on the NetConnection (RFC 7425 §5.3.5.3), then our flows of the stream close.</summary>
    public void Delete()
    {
        _owner.WriteControl(new Command(CommandName.DeleteStream, 0, AmfNull.Instance, (double)StreamId).ToMessage());
        CloseFlows();
        _owner.RemoveStream(StreamId);
        Complete();
    }

    /// <summary>
    /// Waits for a status with <paramref name="code"/> on this stream (ignores older ones already read from
    /// <see cref="Messages"/>). Not an answer to a request of ours, so no default timeout: bound it with the token.
    /// </summary>
    public Task<FlashMessage> WaitForStatusAsync(string code, CancellationToken cancellationToken = default) =>
        Wait(m => m.StatusCode == code ? true : null, cancellationToken);

    // ---------------------------------------------------------------- internals

    private async Task<FlashMessage> CommandAsync(Command command, string successCode, CancellationToken cancellationToken)
    {
        var wait = Wait(m => m.StatusCode == successCode ? true : m.StatusLevel == StatusLevel.Error ? false : null, cancellationToken);
        if (!_commands.Write(command.ToMessage()))
        {
            throw new InvalidOperationException("the connection is closed");
        }
        var status = await Answer.WithinAsync(wait, _owner.Connection.Options.AnswerTimeout, $"'{command.Name}'", cancellationToken).ConfigureAwait(false);
        return status.StatusCode == successCode ? status : throw FlashCallException.From(status.Command!, command.Name);
    }

    private Task<FlashMessage> Wait(Func<FlashMessage, bool?> decide, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<FlashMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var entry = (decide, done);
        lock (_lock)
        {
            _waiters.Add(entry);
        }
        return done.Task.WaitAsync(cancellationToken).ContinueWith(t =>
        {
            lock (_lock)
            {
                _waiters.Remove(entry);
            }
            return t;
        }, TaskScheduler.Default).Unwrap();
    }

    private static byte[] Message(RtmpMessageType type, uint timestamp, ReadOnlySpan<byte> payload)
    {
        var message = new byte[RtmpMessage.HeaderLength + payload.Length];
        RtmpMessage.Write(message, type, timestamp, payload);
        return message;
    }

    internal void Deliver(FlashMessage message)
    {
        if (message.Command is not null)
        {
            lock (_lock)
            {
                for (int i = _waiters.Count - 1; i >= 0; i--)
                {
                    var (decide, done) = _waiters[i];
                    if (decide(message) is bool _)
                    {
                        done.TrySetResult(message);
                        _waiters.RemoveAt(i);
                    }
                }
            }
        }
        _messages.Writer.TryWrite(message);
    }

    internal void CloseFlows()
    {
        _commands.Close();
        if (_audio.IsValueCreated)
        {
            _audio.Value.Close();
        }
        if (_video.IsValueCreated)
        {
            _video.Value.Close();
        }
    }

    internal void Complete()
    {
        _messages.Writer.TryComplete();
        lock (_lock)
        {
            foreach (var (_, done) in _waiters)
            {
                done.TrySetException(new InvalidOperationException("the stream or connection is closed"));
            }
            _waiters.Clear();
        }
    }
}
