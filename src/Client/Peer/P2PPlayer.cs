using System.Diagnostics;
using System.Threading.Channels;
using Rtmfp.Client.Flash;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Client.Peer;

/// <summary>
/// Plays a stream directly from the peer that publishes it (RFC 7425 §5.4): on a direct session, a new unassociated
/// flow with a non-zero stream ID carries <c>play(name)</c>; the publisher's return flows (same stream ID) deliver
/// statuses, data and media, each flow in order, on <see cref="Messages"/>. Disposing closes that flow, which ends
/// the stream. One player per session: it reads the session's <see cref="RtmfpConnection.IncomingFlows"/>.
/// </summary>
public sealed class P2PPlayer : IAsyncDisposable
{
    /// <summary>
    /// Our stream ID when none is given: Flash numbers its direct streams from 2,000,000 (RFC 7425 §5.4), and
    /// librtmfp only accepts a play flow whose metadata starts 00 54 43 04 FA 89 (VLU 2,000,000-2,000,127);
    /// any other ID is looked up among its server NetStreams and the flow is refused.
    /// </summary>
    public const uint DefaultStreamId = 2_000_001;

    private readonly FlashSendFlow _play;
    private readonly bool _ownsConnection;
    private readonly Channel<FlashMessage> _messages = Channel.CreateUnbounded<FlashMessage>();
    private readonly TaskCompletionSource<FlashMessage> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private int _openFlows;

    private P2PPlayer(RtmfpConnection connection, string streamName, uint streamId, bool ownsConnection)
    {
        Connection = connection;
        StreamName = streamName;
        StreamId = streamId;
        _ownsConnection = ownsConnection;
        _play = new FlashSendFlow(connection, streamId, StreamFlowKind.Data, ReceiveIntent.OriginalQueuingOrder);
        _ = AcceptFlowsAsync();
    }

    /// <summary>The direct session to the publisher.</summary>
    public RtmfpConnection Connection { get; }

    public string StreamName { get; }

    public uint StreamId { get; }

    /// <summary>Everything the publisher sent on the stream (onStatus, |RtmpSampleAccess, onMetaData, audio, video,
    /// user control), in order per flow; completes when the stream or session ends.</summary>
    public ChannelReader<FlashMessage> Messages => _messages.Reader;

    /// <summary>Opens a direct session to the publisher (<paramref name="publisherPeerIdHex"/>, 64 hex digits) and plays.</summary>
    public static async Task<P2PPlayer> PlayAsync(RtmfpPeer peer, string publisherPeerIdHex, string streamName,
        uint streamId = DefaultStreamId, CancellationToken cancellationToken = default)
    {
        var connection = await peer.ConnectToPeerAsync(publisherPeerIdHex, cancellationToken).ConfigureAwait(false);
        return await PlayAsync(connection, streamName, streamId, ownsConnection: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends <c>play(streamName)</c> on a new flow of an open direct session and completes on NetStream.Play.Start;
    /// throws <see cref="FlashCallException"/> on an error status (e.g. NetStream.Play.StreamNotFound),
    /// <see cref="TimeoutException"/> without a status within <see cref="RtmfpClientOptions.AnswerTimeout"/>.
    /// </summary>
    public static async Task<P2PPlayer> PlayAsync(RtmfpConnection connection, string streamName, uint streamId = DefaultStreamId,
        bool ownsConnection = false, CancellationToken cancellationToken = default)
    {
        if (streamId is 0 or > RtmpMetadata.MaxStreamId)
        {
            throw new ArgumentOutOfRangeException(nameof(streamId), "a direct stream has a non-zero stream ID (RFC 7425 §5.4)");
        }
        var player = new P2PPlayer(connection, streamName, streamId, ownsConnection);
        try
        {
            if (!player._play.Write(P2PStreamMessages.Play(streamName)))
            {
                throw new InvalidOperationException("the connection is closed");
            }
            var status = await Answer.WithinAsync(player._started.Task, connection.Options.AnswerTimeout, "a direct 'play'", cancellationToken).ConfigureAwait(false);
            return status.StatusCode == StatusCode.PlayStart ? player : throw FlashCallException.From(status.Command!, CommandName.Play);
        }
        catch
        {
            await player.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Closes our play flow (the publisher stops, §5.4); disposes the session if we opened it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_ownsConnection)
        {
            await _play.CloseAndWaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            await Connection.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            _play.Close();
        }
        _stop.Cancel();
        Complete();
    }

    // ---------------------------------------------------------------- internals

    private void Complete()
    {
        _messages.Writer.TryComplete();
        _started.TrySetException(new InvalidOperationException("the stream or session ended before NetStream.Play.Start"));
    }

    private async Task AcceptFlowsAsync()
    {
        var readers = new List<Task>();
        try
        {
            await foreach (var flow in Connection.IncomingFlows.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                if (RtmpMetadata.TryRead(flow.Metadata.Span, out var metadata) && metadata.StreamId == StreamId)
                {
                    Interlocked.Increment(ref _openFlows);
                    readers.Add(ReadFlowAsync(flow));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        await Task.WhenAll(readers).ConfigureAwait(false);
        Complete();
    }

    private async Task ReadFlowAsync(RtmfpIncomingFlow flow)
    {
        var reader = new AmfReader();
        try
        {
            await foreach (var message in flow.Messages.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                if (Decode(message, reader) is { } received)
                {
                    if (received.StatusCode is { } code && (code == StatusCode.PlayStart || received.StatusLevel == StatusLevel.Error))
                    {
                        _started.TrySetResult(received);
                    }
                    _messages.Writer.TryWrite(received);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        // The publisher closed its command flow (refusal or end of stream) and media flows: nothing more comes.
        if (Interlocked.Decrement(ref _openFlows) == 0)
        {
            Complete();
        }
    }

    private FlashMessage? Decode(ReadOnlyMemory<byte> message, AmfReader reader)
    {
        if (!RtmpMessage.TryRead(message.Span, out var rtmp))
        {
            return null;
        }
        Command? command = null;
        DataMessage? data = null;
        if (rtmp.Type is RtmpMessageType.CommandAmf0 or RtmpMessageType.CommandAmf3)
        {
            if (!Command.TryRead(rtmp, reader, out command))
            {
                return null;
            }
            command = WithInfoAsArgument(command);
        }
        else if (rtmp.Type is RtmpMessageType.DataAmf0 or RtmpMessageType.DataAmf3)
        {
            DataMessage.TryRead(rtmp.Type, rtmp.Payload, reader, out data);
        }
        return new FlashMessage(StreamId, rtmp.Type, rtmp.Timestamp, message[RtmpMessage.HeaderLength..], Stopwatch.GetTimestamp(), command, data);
    }

    /// <summary>
    /// librtmfp writes <c>onStatus, 0, info</c> without the null command object (RFC 7425 §5.3.1 puts one
    /// before the info object), so the reader takes the info object for the command object; move it back to
    /// the first argument where <see cref="FlashMessage.StatusCode"/> looks for it.
    /// </summary>
    internal static Command WithInfoAsArgument(Command command) =>
        command is { Name: CommandName.OnStatus, CommandObject: AmfObject info, Arguments.Count: 0 }
            ? new Command(command.Name, command.TransactionId, AmfNull.Instance, info)
            : command;
}
