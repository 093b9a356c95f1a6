using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Flash;

/// <summary>
/// One NetStream of a <see cref="NetConnection"/>: a stream ID from createStream. Handles the stream's
/// commands (publish, play, closeStream, deleteStream, receiveAudio/receiveVideo, pause), hands a publisher's
/// media to the <see cref="IStreamRelay"/>, and sends a player what the relay delivers through its own
/// <see cref="StreamSendQueue"/>. Runs on its connection's logical thread.
/// </summary>
internal sealed class NetStream
{
    private readonly NetConnection _connection;
    private readonly StreamSendQueue _queue;

    /// <summary>Bumped by each publish/play/stop so late application decisions can tell they are stale.</summary>
    private int _generation;

    /// <summary>Last configurations delivered, resent when video or audio is re-enabled.</summary>
    private MediaFrame? _lastVideoConfig;
    private MediaFrame? _lastAudioConfig;

    public NetStream(NetConnection connection, uint id)
    {
        _connection = connection;
        Id = id;
        var options = connection.Options;
        _queue = new StreamSendQueue(id, options.StreamQueueCapacity, connection.Output, connection.Counters, options.Time);
    }

    public uint Id { get; }
    public NetStreamState State { get; private set; }

    /// <summary>What is published or played; meaningful unless <see cref="State"/> is Idle.</summary>
    public StreamKey Stream { get; private set; }

    /// <summary>The current play's subscriber; events of an older one are ignored.</summary>
    public Playback? Playback { get; private set; }

    public bool ReceiveAudio { get; private set; } = true;
    public bool ReceiveVideo { get; private set; } = true;
    public bool Paused { get; private set; }

    /// <summary>From SetBufferLength (User Control 3), milliseconds.</summary>
    public uint BufferLength { get; set; }

    public bool IsDeleted { get; private set; }

    private NetConnectionCounters Counters => _connection.Counters;
    private NetConnectionOptions Options => _connection.Options;
    private IStreamRelay Relay => _connection.Relay;

    /// <summary>Handles one message of this stream (<paramref name="rtmpMessage"/> is <paramref name="message"/>'s bytes).</summary>
    public void OnMessage(RtmpMessage message, ReadOnlySpan<byte> rtmpMessage)
    {
        switch (message.Type)
        {
            case RtmpMessageType.CommandAmf0:
            case RtmpMessageType.CommandAmf3:
                if (_connection.TryReadCommand(message, out var command))
                {
                    OnCommand(command);
                }
                return;
            case RtmpMessageType.Audio:
            case RtmpMessageType.Video:
            case RtmpMessageType.DataAmf0:
            case RtmpMessageType.DataAmf3:
                OnPublisherMessage(rtmpMessage);
                return;
            case RtmpMessageType.UserControl:
                // Flow Sync from the client (Flash sends it on its stream flows) needs nothing from this layer.
                if (_connection.TryReadUserControl(message, out _))
                {
                    Counters.IgnoredMessages++;
                }
                return;
            default:
                Counters.IgnoredMessages++;
                return;
        }
    }

    /// <summary>Offers queued messages to the transport (it has room again, or something was queued).</summary>
    public void Drain() => _queue.Drain();

    /// <summary>deleteStream or the connection's end: stop, drop what is queued, ignore late decisions and events.</summary>
    public void Delete()
    {
        StopActivity();
        IsDeleted = true;
        _queue.Clear();
    }

    /// <summary>A stream event for this stream's play <paramref name="playback"/> (see <see cref="Flash.Playback"/>).</summary>
    public void OnPlaybackEvent(Playback playback, StreamEvent streamEvent)
    {
        if (!_connection.IsConnected || IsDeleted || !ReferenceEquals(Playback, playback))
        {
            return;
        }
        switch (streamEvent)
        {
            case MediaFrame frame:
                EnqueueFrame(frame);
                break;
            case PublishNotify:
                _queue.WaitingForKeyframe = true;
                _queue.EnqueueStatus(NetStatus.OnStatus(StatusLevel.Status, StatusCode.PlayPublishNotify, $"{Stream.Name} is now published", Stream.Name));
                break;
            case UnpublishNotify:
                // tcserver: Flow Sync, UnpublishNotify, Flow Sync, so no media crosses the notification.
                _queue.WaitingForKeyframe = true;
                _lastAudioConfig = null;
                _lastVideoConfig = null;
                _queue.EnqueueBarrier();
                _queue.EnqueueStatus(NetStatus.OnStatus(StatusLevel.Status, StatusCode.PlayUnpublishNotify, $"{Stream.Name} is now unpublished", Stream.Name));
                _queue.EnqueueBarrier();
                break;
        }
        _queue.Drain();
    }

    private void OnCommand(Command command)
    {
        switch (command.Name)
        {
            case CommandName.Publish:
                HandlePublish(command);
                return;
            case CommandName.Play:
                HandlePlay(command);
                return;
            case CommandName.CloseStream:
                CloseStreamActivity();
                return;
            case CommandName.DeleteStream:
                _connection.DeleteStream(command.Argument(0)?.AsNumber is double id && id >= 1 && id <= uint.MaxValue ? (uint)id : Id);
                return;
            case CommandName.ReceiveAudio:
                SetReceive(audio: true, command.Argument(0)?.AsBoolean ?? true);
                return;
            case CommandName.ReceiveVideo:
                SetReceive(audio: false, command.Argument(0)?.AsBoolean ?? true);
                return;
            case CommandName.Pause:
                HandlePause(command.Argument(0)?.AsBoolean ?? false);
                return;
            case CommandName.Seek:
            case CommandName.Play2:
                // Live relay: nothing to seek or switch; Flash raises Seek.Notify itself.
                Counters.IgnoredMessages++;
                return;
            default:
                Counters.UnknownCommands++;
                if (command.TransactionId > 0)
                {
                    _queue.EnqueueStatus(NetStatus.CallFailed(command.TransactionId, command.Name));
                    _queue.Drain();
                }
                return;
        }
    }

    private void HandlePublish(Command command)
    {
        var nameValue = command.Argument(0);
        if (nameValue is not AmfString { Value: var fullName })
        {
            // publish(false) or publish(null) = unpublish (tcserver).
            if (nameValue is null)
            {
                SendStatus(StatusLevel.Error, StatusCode.PublishBadName, "no stream name", null);
                return;
            }
            CloseStreamActivity();
            return;
        }
        var (name, query) = SplitQuery(fullName);
        StopActivity();
        if (name.Length == 0)
        {
            SendStatus(StatusLevel.Error, StatusCode.PublishBadName, "empty stream name", fullName);
            return;
        }
        var key = new StreamKey(_connection.ApplicationName, name);
        bool silent = _connection.Replaying; // a resumed session's publish: the client saw its Publish.Start already
        var request = new PublishRequest(key, Id, query, command.Argument(1)?.AsString);
        AskApplication(
            application => application.OnPublishAsync(_connection, request),
            (generation, decision) => OnPublishDecision(generation, key, decision, silent));
    }

    private void OnPublishDecision(int generation, StreamKey key, StreamDecision decision, bool silent)
    {
        if (IsStale(generation))
        {
            return;
        }
        if (decision.Kind != StreamDecisionKind.Allow)
        {
            SendStatus(StatusLevel.Error, StatusCode.PublishBadName, decision.Description ?? $"{key.Name} is not allowed", key.Name);
            return;
        }
        var publisher = new PublisherId(_connection.ConnectionId, Id);
        _connection.Await(
            () => Relay.StartPublishAsync(key, new StartPublish(publisher)),
            accepted =>
            {
                if (IsStale(generation))
                {
                    if (accepted)
                    {
                        Relay.Tell(key, new StopPublish(publisher));
                    }
                    return;
                }
                if (!accepted)
                {
                    SendStatus(StatusLevel.Error, StatusCode.PublishBadName, $"{key.Name} is already published", key.Name);
                    return;
                }
                State = NetStreamState.Publishing;
                Stream = key;
                if (!silent)
                {
                    SendStatus(StatusLevel.Status, StatusCode.PublishStart, $"{key.Name} is now published", key.Name);
                }
            },
            () => false);
    }

    private void OnPublisherMessage(ReadOnlySpan<byte> rtmpMessage)
    {
        if (State != NetStreamState.Publishing)
        {
            Counters.IgnoredMessages++;
            return;
        }
        if (!MediaFrame.TryCreate(rtmpMessage, _connection.Reader, out var frame))
        {
            Counters.MalformedMessages++;
            return;
        }
        Relay.Tell(Stream, new PublishFrame(new PublisherId(_connection.ConnectionId, Id), frame));
    }

    private void HandlePlay(Command command)
    {
        var nameValue = command.Argument(0);
        if (nameValue is not AmfString { Value: var fullName })
        {
            // play(false) stops (tcserver).
            CloseStreamActivity();
            return;
        }
        var (name, query) = SplitQuery(fullName);
        StopActivity();
        var key = new StreamKey(_connection.ApplicationName, name);
        bool silent = _connection.Replaying; // a resumed session's play: the client saw Play.Start already
        var request = new PlayRequest(key, Id, query,
            command.Argument(1)?.AsNumber ?? -2000, command.Argument(2)?.AsNumber ?? -1, command.Argument(3)?.AsBoolean ?? true);
        AskApplication(
            application => application.OnPlayAsync(_connection, request),
            (generation, decision) => OnPlayDecision(generation, key, decision, silent));
    }

    /// <summary>
    /// Asks the application about a publish or play; <paramref name="then"/> gets the decision with the
    /// generation it was asked in (an application that fails denies).
    /// </summary>
    private void AskApplication(Func<IFlashApplication, ValueTask<StreamDecision>> ask, Action<int, StreamDecision> then)
    {
        int generation = ++_generation;
        var application = _connection.Application!;
        _connection.Await(
            () => ask(application),
            decision => then(generation, decision),
            () => StreamDecision.Deny("application error"));
    }

    private void OnPlayDecision(int generation, StreamKey key, StreamDecision decision, bool silent)
    {
        if (IsStale(generation))
        {
            return;
        }
        switch (decision.Kind)
        {
            case StreamDecisionKind.Deny:
                SendStatus(StatusLevel.Error, StatusCode.PlayFailed, decision.Description ?? $"{key.Name} cannot be played", key.Name);
                return;
            case StreamDecisionKind.NotFound:
                SendStatus(StatusLevel.Error, StatusCode.PlayStreamNotFound, decision.Description ?? $"{key.Name} not found", key.Name);
                return;
        }
        if (Options.WaitForUnpublishedStreams)
        {
            StartPlayback(key, silent);
            return;
        }
        _connection.Await(
            () => Relay.IsLiveAsync(key),
            live =>
            {
                if (IsStale(generation))
                {
                    return;
                }
                if (live)
                {
                    StartPlayback(key, silent);
                }
                else
                {
                    SendStatus(StatusLevel.Error, StatusCode.PlayStreamNotFound, $"{key.Name} not found", key.Name);
                }
            },
            () => false);
    }

    private void StartPlayback(StreamKey key, bool silent)
    {
        State = NetStreamState.Playing;
        Stream = key;
        _queue.WaitingForKeyframe = true;
        Paused = false;
        _lastAudioConfig = null;
        _lastVideoConfig = null;
        var playback = new Playback(this);
        Playback = playback;
        if (silent)
        {
            Relay.Tell(key, new Subscribe(playback)); // resumed: the stream goes on at the next keyframe, no new start
            return;
        }
        // MonaServer2's order: StreamBegin on the stream, Play.Reset, Play.Start, |RtmpSampleAccess, then a barrier (RFC 7425 §5.2)
        // so no media on the stream's other flows overtakes them.
        _queue.EnqueueUserControl(UserControlEvent.StreamBegin(Id));
        _queue.EnqueueStatus(NetStatus.OnStatus(StatusLevel.Status, StatusCode.PlayReset, $"Playing and resetting {key.Name}", key.Name));
        _queue.EnqueueStatus(NetStatus.OnStatus(StatusLevel.Status, StatusCode.PlayStart, $"Started playing {key.Name}", key.Name));
        var sampleAccess = new System.Buffers.ArrayBufferWriter<byte>(32);
        DataMessage.SampleAccess().WriteMessage(sampleAccess, new Amf0Writer());
        _queue.Enqueue(new QueuedMessage(sampleAccess.WrittenMemory, MessageClass.Data, DeliveryHints.Reliable, long.MaxValue, null), out _);
        _queue.EnqueueBarrier();
        _queue.Drain();
        Relay.Tell(key, new Subscribe(playback));
    }

    private void EnqueueFrame(MediaFrame frame)
    {
        switch (frame.Kind)
        {
            case MediaFrameKind.ClearDataFrame:
                return;
            case MediaFrameKind.AudioConfig:
                _lastAudioConfig = frame;
                break;
            case MediaFrameKind.VideoConfig:
                _lastVideoConfig = frame;
                break;
            case MediaFrameKind.Audio:
                if (!ReceiveAudio || Paused)
                {
                    return;
                }
                break;
            case MediaFrameKind.VideoKeyframe:
            case MediaFrameKind.VideoInter:
                if (!ReceiveVideo || Paused)
                {
                    return;
                }
                break;
        }
        MessageClass cls = frame.IsAudio ? MessageClass.Audio : frame.IsVideo ? MessageClass.Video : MessageClass.Data;
        TimeSpan lifetime = frame.IsAudio ? Options.AudioLifetime : Options.VideoLifetime;
        bool arrivalOrder = frame.IsAudio && Options.AudioInNetworkArrivalOrder;
        // Every message of a class carries the same arrival-order hint so the adapter keeps them on one flow.
        var hints = frame.IsDroppable ? DeliveryHints.PartiallyReliable(lifetime, arrivalOrder) : new DeliveryHints(null, arrivalOrder);
        // The lifetime counts from the frame's arrival at this node: what it waited before this queue (an overloaded
        // node's fan-out) is already spent. The queue hands the flow only what is left (StreamSendQueue.Drain).
        long deadline = frame.IsDroppable ? Options.Time.GetTimestamp() + ToTimestampTicks(lifetime - frame.Age) : long.MaxValue;
        _queue.Enqueue(new QueuedMessage(frame.Message, cls, hints, deadline, frame.Kind), out _);
    }

    private long ToTimestampTicks(TimeSpan t) => (long)(t.TotalSeconds * Options.Time.TimestampFrequency);

    private void SendStatus(string level, string code, string description, string? details)
    {
        _queue.EnqueueStatus(NetStatus.OnStatus(level, code, description, details));
        _queue.Drain();
    }

    private void SetReceive(bool audio, bool enabled)
    {
        bool wasEnabled = audio ? ReceiveAudio : ReceiveVideo;
        if (audio)
        {
            ReceiveAudio = enabled;
        }
        else
        {
            ReceiveVideo = enabled;
        }
        if (!enabled || wasEnabled || State != NetStreamState.Playing)
        {
            return;
        }
        // A decoder that skipped frames starts again from a configuration and (video) a keyframe: resend the last
        // configuration, and hold video back until the next keyframe.
        var config = audio ? _lastAudioConfig : _lastVideoConfig;
        if (!audio)
        {
            _queue.WaitingForKeyframe = true;
        }
        if (config is not null)
        {
            EnqueueFrame(config);
            _queue.Drain();
        }
    }

    private void HandlePause(bool paused)
    {
        if (State != NetStreamState.Playing || Paused == paused)
        {
            Counters.IgnoredMessages++;
            return;
        }
        Paused = paused;
        if (!paused)
        {
            // tcserver: wait for a keyframe on resume.
            _queue.WaitingForKeyframe = true;
        }
        SendStatus(StatusLevel.Status, paused ? StatusCode.PauseNotify : StatusCode.UnpauseNotify,
            paused ? $"Pausing {Stream.Name}" : $"Unpausing {Stream.Name}", Stream.Name);
    }

    /// <summary>closeStream / publish(false) / play(false): stop and tell the client (MonaServer2).</summary>
    private void CloseStreamActivity()
    {
        var state = State;
        var name = Stream.Name;
        StopActivity();
        if (state == NetStreamState.Publishing)
        {
            SendStatus(StatusLevel.Status, StatusCode.UnpublishSuccess, $"{name} is now unpublished", name);
        }
        else if (state == NetStreamState.Playing)
        {
            _queue.EnqueueStatus(NetStatus.OnStatus(StatusLevel.Status, StatusCode.PlayStop, $"Stopped playing {name}", name));
            _queue.EnqueueUserControl(UserControlEvent.StreamEof(Id));
            _queue.Drain();
        }
        else
        {
            Counters.IgnoredMessages++;
        }
    }

    /// <summary>Leaves publishing or playing; pending decisions for the stream become stale.</summary>
    private void StopActivity()
    {
        _generation++;
        switch (State)
        {
            case NetStreamState.Publishing:
                Relay.Tell(Stream, new StopPublish(new PublisherId(_connection.ConnectionId, Id)));
                break;
            case NetStreamState.Playing when Playback is { } playback:
                Relay.Tell(Stream, new Unsubscribe(playback));
                break;
        }
        State = NetStreamState.Idle;
        Playback = null;
    }

    private bool IsStale(int generation) => !_connection.IsConnected || IsDeleted || _generation != generation;

    private static (string Name, string? Query) SplitQuery(string fullName)
    {
        int q = fullName.IndexOf('?');
        return q < 0 ? (fullName, null) : (fullName[..q], fullName[(q + 1)..]);
    }
}
