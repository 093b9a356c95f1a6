using System.Threading.Channels;
using Rtmfp.Client.Flash;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Client.Peer;

/// <summary>
/// Publishes one stream directly to peers (RFC 7425 §5.4): a peer that opened a session to us sends <c>play(name)</c>
/// on a new unassociated flow with a non-zero stream ID; we answer on return flows associated with that flow (same
/// stream ID): StreamBegin, Play.Reset, Play.Start, |RtmpSampleAccess, metadata and codec headers, then the media we
/// are given, audio and video each on a flow of its own. Closing that flow (or the session) ends the subscription.
/// Thread-safe.
/// </summary>
public sealed class P2PPublisher : IAsyncDisposable
{
    private readonly object _lock = new();
    private readonly List<P2PSubscriber> _subscribers = []; // under _lock
    private readonly List<(int Count, TaskCompletionSource Done)> _countWaiters = []; // under _lock
    private readonly CancellationTokenSource _stop = new();
    private AmfValue? _metadata; // under _lock
    private byte[]? _audioHeader; // under _lock: the last AAC sequence header message, for late joiners
    private byte[]? _videoHeader; // under _lock: the last AVC sequence header message
    private bool _disposed;

    public P2PPublisher(string streamName)
    {
        StreamName = streamName;
    }

    /// <summary>The name peers must ask for in <c>play</c>.</summary>
    public string StreamName { get; }

    /// <summary>
    /// Audio on flows marked "network arrival order" (RFC 7425 §5.1.1). Off by default: librtmfp refuses peer
    /// flows whose metadata is not <c>54 43 04 …</c> ("Unhandled signature type"), as our node's relay also
    /// defaults to original order.
    /// </summary>
    public bool AudioInNetworkArrivalOrder { get; init; }

    /// <summary>Peers currently playing.</summary>
    public int SubscriberCount
    {
        get
        {
            lock (_lock)
            {
                return _subscribers.Count;
            }
        }
    }

    /// <summary>Serves every session peers open to <paramref name="peer"/> (this consumes its <see cref="RtmfpPeer.IncomingPeers"/>).</summary>
    public static P2PPublisher Attach(RtmfpPeer peer, string streamName)
    {
        var publisher = new P2PPublisher(streamName);
        _ = publisher.AcceptAsync(peer.IncomingPeers);
        return publisher;
    }

    /// <summary>Serves the play requests of one direct session (this consumes its <see cref="RtmfpConnection.IncomingFlows"/>).</summary>
    public void Serve(RtmfpConnection session) => _ = ServeAsync(session);

    /// <summary>onMetaData for current and later subscribers (sent without @setDataFrame, timestamp 0).</summary>
    public void SendMetadata(AmfValue metadata)
    {
        byte[] message = P2PStreamMessages.OnMetaData(metadata);
        lock (_lock)
        {
            _metadata = metadata;
            foreach (var subscriber in _subscribers)
            {
                subscriber.Commands.Write(message);
            }
        }
    }

    /// <summary>An audio message (FLV audio tag) to every subscriber; an AAC sequence header is kept for late joiners.</summary>
    public void SendAudio(uint timestamp, ReadOnlySpan<byte> tag, TimeSpan? lifetime = null) =>
        SendMedia(RtmpMessageType.Audio, timestamp, tag, AudioTag.TryParse(tag, out var parsed) && parsed.IsSequenceHeader, lifetime);

    /// <summary>A video message (FLV video tag) to every subscriber; an AVC sequence header is kept for late joiners.</summary>
    public void SendVideo(uint timestamp, ReadOnlySpan<byte> tag, TimeSpan? lifetime = null) =>
        SendMedia(RtmpMessageType.Video, timestamp, tag, VideoTag.TryParse(tag, out var parsed) && parsed.IsSequenceHeader, lifetime);

    /// <summary>Audio or video on every subscriber's flow of that kind; a codec sequence header never expires.</summary>
    private void SendMedia(RtmpMessageType type, uint timestamp, ReadOnlySpan<byte> tag, bool isSequenceHeader, TimeSpan? lifetime)
    {
        bool audio = type == RtmpMessageType.Audio;
        byte[] message = P2PStreamMessages.Media(type, timestamp, tag);
        lock (_lock)
        {
            if (isSequenceHeader)
            {
                (audio ? ref _audioHeader : ref _videoHeader) = message;
            }
            foreach (var subscriber in _subscribers)
            {
                (audio ? subscriber.Audio : subscriber.Video).Write(message, isSequenceHeader ? null : lifetime);
            }
        }
    }

    /// <summary>Completes once at least <paramref name="count"/> peers play.</summary>
    public Task WaitForSubscribersAsync(int count, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_subscribers.Count >= count)
            {
                return Task.CompletedTask;
            }
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _countWaiters.Add((count, done));
            return done.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Stops serving: every subscriber's return flows close (the sessions stay open).</summary>
    public ValueTask DisposeAsync()
    {
        List<P2PSubscriber> subscribers;
        lock (_lock)
        {
            _disposed = true;
            subscribers = [.. _subscribers];
            _subscribers.Clear();
        }
        _stop.Cancel();
        foreach (var subscriber in subscribers)
        {
            subscriber.Close();
        }
        return ValueTask.CompletedTask;
    }

    // ---------------------------------------------------------------- internals

    private async Task AcceptAsync(ChannelReader<RtmfpConnection> peers)
    {
        try
        {
            await foreach (var session in peers.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                Serve(session);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ServeAsync(RtmfpConnection session)
    {
        try
        {
            await foreach (var flow in session.IncomingFlows.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                // §5.4: a subscriber's control flow is unassociated and names a non-zero stream ID.
                if (RtmpMetadata.TryRead(flow.Metadata.Span, out var metadata) && metadata.StreamId != 0)
                {
                    _ = ServeFlowAsync(session, flow, metadata.StreamId);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ServeFlowAsync(RtmfpConnection session, RtmfpIncomingFlow flow, uint streamId)
    {
        var reader = new AmfReader();
        P2PSubscriber? subscriber = null;
        try
        {
            await foreach (var message in flow.Messages.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                if (subscriber is null && P2PStreamMessages.TryReadPlay(message.Span, reader, out string name))
                {
                    subscriber = Play(session, flow.FlowId, streamId, name);
                }
                else if (subscriber is not null && IsCloseStream(message.Span, reader))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        if (subscriber is not null)
        {
            lock (_lock)
            {
                _subscribers.Remove(subscriber);
            }
            subscriber.Close();
        }
    }

    private P2PSubscriber? Play(RtmfpConnection session, ulong flowId, uint streamId, string name)
    {
        var commands = new FlashSendFlow(session, streamId, StreamFlowKind.Data, ReceiveIntent.OriginalQueuingOrder, flowId);
        if (name != StreamName)
        {
            commands.Write(P2PStreamMessages.StreamNotFound(name));
            commands.Close();
            return null;
        }
        lock (_lock)
        {
            if (_disposed)
            {
                commands.Close();
                return null;
            }
            // Both associated with the subscriber's flow (§5.4).
            var subscriber = new P2PSubscriber(commands,
                new FlashSendFlow(session, streamId, StreamFlowKind.Audio,
                    AudioInNetworkArrivalOrder ? ReceiveIntent.NetworkArrivalOrder : ReceiveIntent.OriginalQueuingOrder, flowId),
                new FlashSendFlow(session, streamId, StreamFlowKind.Video, ReceiveIntent.OriginalQueuingOrder, flowId));
            foreach (var message in P2PStreamMessages.Accept(streamId, StreamName, _metadata))
            {
                commands.Write(message);
            }
            if (_audioHeader is not null)
            {
                subscriber.Audio.Write(_audioHeader);
            }
            if (_videoHeader is not null)
            {
                subscriber.Video.Write(_videoHeader);
            }
            _subscribers.Add(subscriber);
            for (int i = _countWaiters.Count - 1; i >= 0; i--)
            {
                if (_subscribers.Count >= _countWaiters[i].Count)
                {
                    _countWaiters[i].Done.TrySetResult();
                    _countWaiters.RemoveAt(i);
                }
            }
            return subscriber;
        }
    }

    private static bool IsCloseStream(ReadOnlySpan<byte> message, AmfReader reader) =>
        RtmpMessage.TryRead(message, out var rtmp) && Command.TryRead(rtmp, reader, out var command) && command.Name == CommandName.CloseStream;
}
