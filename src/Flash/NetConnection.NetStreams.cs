using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Flash;

// NetStream commands, publishing and playback (RFC 7425 §5.3.5; amf-and-flash-messages.md B5, B9, B11).
public sealed partial class NetConnection
{
    private void OnStreamMessage(uint streamId, RtmpMessage message, ReadOnlySpan<byte> rtmpMessage)
    {
        if (State != NetConnectionState.Connected || !_streams.TryGetValue(streamId, out var ns))
        {
            // Only streams this connection created carry NetStream messages.
            Counters.IgnoredMessages++;
            return;
        }
        switch (message.Type)
        {
            case RtmpMessageType.CommandAmf0:
            case RtmpMessageType.CommandAmf3:
                if (TryReadCommand(message, out var command))
                {
                    OnStreamCommand(ns, command);
                }
                return;
            case RtmpMessageType.Audio:
            case RtmpMessageType.Video:
            case RtmpMessageType.DataAmf0:
            case RtmpMessageType.DataAmf3:
                OnPublisherMessage(ns, rtmpMessage);
                return;
            case RtmpMessageType.UserControl:
                // Flow Sync from the client (Flash sends it on its stream flows) needs nothing from this layer.
                if (!UserControlEvent.TryRead(message.Payload, out _))
                {
                    Counters.MalformedMessages++;
                    return;
                }
                Counters.IgnoredMessages++;
                return;
            default:
                Counters.IgnoredMessages++;
                return;
        }
    }

    private void OnStreamCommand(NetStream ns, Command command)
    {
        switch (command.Name)
        {
            case CommandName.Publish:
                HandlePublish(ns, command);
                return;
            case CommandName.Play:
                HandlePlay(ns, command);
                return;
            case CommandName.CloseStream:
                CloseStreamActivity(ns);
                return;
            case CommandName.DeleteStream:
                DeleteStream(command.Argument(0)?.AsNumber is double id && id >= 1 && id <= uint.MaxValue ? (uint)id : ns.Id);
                return;
            case CommandName.ReceiveAudio:
                SetReceive(ns, audio: true, command.Argument(0)?.AsBoolean ?? true);
                return;
            case CommandName.ReceiveVideo:
                SetReceive(ns, audio: false, command.Argument(0)?.AsBoolean ?? true);
                return;
            case CommandName.Pause:
                HandlePause(ns, command.Argument(0)?.AsBoolean ?? false);
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
                    EnqueueStatus(ns, NetStatus.CallFailed(command.TransactionId, command.Name));
                    Drain(ns);
                }
                return;
        }
    }

    private void HandlePublish(NetStream ns, Command command)
    {
        var nameValue = command.Argument(0);
        if (nameValue is not AmfString { Value: var fullName })
        {
            // publish(false) or publish(null) = unpublish (tcserver).
            if (nameValue is null)
            {
                SendStatus(ns, StatusLevel.Error, StatusCode.PublishBadName, "no stream name", null);
                return;
            }
            CloseStreamActivity(ns);
            return;
        }
        var (name, query) = SplitQuery(fullName);
        StopActivity(ns);
        if (name.Length == 0)
        {
            SendStatus(ns, StatusLevel.Error, StatusCode.PublishBadName, "empty stream name", fullName);
            return;
        }
        var key = new StreamKey(ApplicationName, name);
        var request = new PublishRequest(key, ns.Id, query, command.Argument(1)?.AsString);
        int generation = ++ns.Generation;
        var application = _application!;
        Await(
            Guard(() => application.OnPublishAsync(this, request)),
            decision => OnPublishDecision(ns, generation, key, decision),
            () => StreamDecision.Deny("application error"));
    }

    private void OnPublishDecision(NetStream ns, int generation, StreamKey key, StreamDecision decision)
    {
        if (IsStale(ns, generation))
        {
            return;
        }
        if (decision.Kind != StreamDecisionKind.Allow)
        {
            SendStatus(ns, StatusLevel.Error, StatusCode.PublishBadName, decision.Description ?? $"{key.Name} is not allowed", key.Name);
            return;
        }
        var publisher = new PublisherId(ConnectionId, ns.Id);
        Await(
            Guard(() => _relay.StartPublishAsync(key, new StartPublish(publisher))),
            accepted =>
            {
                if (IsStale(ns, generation))
                {
                    if (accepted)
                    {
                        _relay.Tell(key, new StopPublish(publisher));
                    }
                    return;
                }
                if (!accepted)
                {
                    SendStatus(ns, StatusLevel.Error, StatusCode.PublishBadName, $"{key.Name} is already published", key.Name);
                    return;
                }
                ns.State = NetStreamState.Publishing;
                ns.Stream = key;
                SendStatus(ns, StatusLevel.Status, StatusCode.PublishStart, $"{key.Name} is now published", key.Name);
            },
            () => false);
    }

    private void OnPublisherMessage(NetStream ns, ReadOnlySpan<byte> rtmpMessage)
    {
        if (ns.State != NetStreamState.Publishing)
        {
            Counters.IgnoredMessages++;
            return;
        }
        if (!MediaFrame.TryCreate(rtmpMessage, _reader, out var frame))
        {
            Counters.MalformedMessages++;
            return;
        }
        _relay.Tell(ns.Stream, new PublishFrame(new PublisherId(ConnectionId, ns.Id), frame));
    }

    private void HandlePlay(NetStream ns, Command command)
    {
        var nameValue = command.Argument(0);
        if (nameValue is not AmfString { Value: var fullName })
        {
            // play(false) stops (tcserver).
            CloseStreamActivity(ns);
            return;
        }
        var (name, query) = SplitQuery(fullName);
        StopActivity(ns);
        var key = new StreamKey(ApplicationName, name);
        var request = new PlayRequest(key, ns.Id, query,
            command.Argument(1)?.AsNumber ?? -2000, command.Argument(2)?.AsNumber ?? -1, command.Argument(3)?.AsBoolean ?? true);
        int generation = ++ns.Generation;
        var application = _application!;
        Await(
            Guard(() => application.OnPlayAsync(this, request)),
            decision => OnPlayDecision(ns, generation, key, decision),
            () => StreamDecision.Deny("application error"));
    }

    private void OnPlayDecision(NetStream ns, int generation, StreamKey key, StreamDecision decision)
    {
        if (IsStale(ns, generation))
        {
            return;
        }
        switch (decision.Kind)
        {
            case StreamDecisionKind.Deny:
                SendStatus(ns, StatusLevel.Error, StatusCode.PlayFailed, decision.Description ?? $"{key.Name} cannot be played", key.Name);
                return;
            case StreamDecisionKind.NotFound:
                SendStatus(ns, StatusLevel.Error, StatusCode.PlayStreamNotFound, decision.Description ?? $"{key.Name} not found", key.Name);
                return;
        }
        if (_options.WaitForUnpublishedStreams)
        {
            StartPlayback(ns, key);
            return;
        }
        Await(
            Guard(() => _relay.IsLiveAsync(key)),
            live =>
            {
                if (IsStale(ns, generation))
                {
                    return;
                }
                if (live)
                {
                    StartPlayback(ns, key);
                }
                else
                {
                    SendStatus(ns, StatusLevel.Error, StatusCode.PlayStreamNotFound, $"{key.Name} not found", key.Name);
                }
            },
            () => false);
    }

    private void StartPlayback(NetStream ns, StreamKey key)
    {
        ns.State = NetStreamState.Playing;
        ns.Stream = key;
        ns.WaitingForKeyframe = true;
        ns.Paused = false;
        ns.LastAudioConfig = null;
        ns.LastVideoConfig = null;
        var playback = new Playback(this, ns);
        ns.Playback = playback;
        // B9 (MonaServer2 order): StreamBegin on the stream, Play.Reset, Play.Start, |RtmpSampleAccess, then a barrier before media.
        EnqueueUserControl(ns, UserControlEvent.StreamBegin(ns.Id));
        EnqueueStatus(ns, NetStatus.OnStatus(StatusLevel.Status, StatusCode.PlayReset, $"Playing and resetting {key.Name}", key.Name));
        EnqueueStatus(ns, NetStatus.OnStatus(StatusLevel.Status, StatusCode.PlayStart, $"Started playing {key.Name}", key.Name));
        var sampleAccess = new System.Buffers.ArrayBufferWriter<byte>(32);
        DataMessage.SampleAccess().WriteMessage(sampleAccess, new Amf0Writer());
        Enqueue(ns, new QueuedMessage(sampleAccess.WrittenMemory, MessageClass.Data, DeliveryHints.Reliable, long.MaxValue, null));
        Enqueue(ns, QueuedMessage.Barrier());
        Drain(ns);
        _relay.Tell(key, new Subscribe(playback));
    }

    /// <summary>A stream event for one of this connection's plays (see <see cref="Playback"/>).</summary>
    internal void OnPlaybackEvent(Playback playback, StreamEvent streamEvent)
    {
        var ns = playback.Stream;
        if (State != NetConnectionState.Connected || ns.IsDeleted || !ReferenceEquals(ns.Playback, playback))
        {
            return;
        }
        switch (streamEvent)
        {
            case MediaFrame frame:
                EnqueueFrame(ns, frame);
                break;
            case PublishNotify:
                ns.WaitingForKeyframe = true;
                EnqueueStatus(ns, NetStatus.OnStatus(StatusLevel.Status, StatusCode.PlayPublishNotify, $"{ns.Stream.Name} is now published", ns.Stream.Name));
                break;
            case UnpublishNotify:
                // tcserver: Flow Sync, UnpublishNotify, Flow Sync, so no media crosses the notification.
                ns.WaitingForKeyframe = true;
                ns.LastAudioConfig = null;
                ns.LastVideoConfig = null;
                Enqueue(ns, QueuedMessage.Barrier());
                EnqueueStatus(ns, NetStatus.OnStatus(StatusLevel.Status, StatusCode.PlayUnpublishNotify, $"{ns.Stream.Name} is now unpublished", ns.Stream.Name));
                Enqueue(ns, QueuedMessage.Barrier());
                break;
        }
        Drain(ns);
    }

    private void EnqueueFrame(NetStream ns, MediaFrame frame)
    {
        switch (frame.Kind)
        {
            case MediaFrameKind.ClearDataFrame:
                return;
            case MediaFrameKind.AudioConfig:
                ns.LastAudioConfig = frame;
                break;
            case MediaFrameKind.VideoConfig:
                ns.LastVideoConfig = frame;
                break;
            case MediaFrameKind.Audio:
                if (!ns.ReceiveAudio || ns.Paused)
                {
                    return;
                }
                break;
            case MediaFrameKind.VideoKeyframe:
            case MediaFrameKind.VideoInter:
                if (!ns.ReceiveVideo || ns.Paused)
                {
                    return;
                }
                break;
        }
        MessageClass cls = frame.IsAudio ? MessageClass.Audio : frame.IsVideo ? MessageClass.Video : MessageClass.Data;
        TimeSpan lifetime = frame.IsAudio ? _options.AudioLifetime : _options.VideoLifetime;
        bool arrivalOrder = frame.IsAudio && _options.AudioInNetworkArrivalOrder;
        // Every message of a class carries the same arrival-order hint so the adapter keeps them on one flow.
        var hints = frame.IsDroppable ? DeliveryHints.PartiallyReliable(lifetime, arrivalOrder) : new DeliveryHints(null, arrivalOrder);
        long deadline = frame.IsDroppable ? _options.Time.GetTimestamp() + ToTimestampTicks(lifetime) : long.MaxValue;
        Enqueue(ns, new QueuedMessage(frame.Message, cls, hints, deadline, frame.Kind));
    }

    private long ToTimestampTicks(TimeSpan t) => (long)(t.TotalSeconds * _options.Time.TimestampFrequency);

    private void Enqueue(NetStream ns, in QueuedMessage message)
    {
        int dropped = ns.Queue.Enqueue(message, out bool droppedVideo);
        if (dropped > 0)
        {
            Counters.OverflowDrops += dropped;
            if (droppedVideo)
            {
                ns.WaitingForKeyframe = true;
            }
        }
    }

    private void EnqueueStatus(NetStream ns, Command status) =>
        Enqueue(ns, new QueuedMessage(status.ToMessage(), MessageClass.StreamStatus, DeliveryHints.Reliable, long.MaxValue, null));

    private void EnqueueUserControl(NetStream ns, UserControlEvent ev)
    {
        var bytes = new byte[RtmpMessage.HeaderLength + ev.Length];
        ev.WriteMessage(bytes);
        Enqueue(ns, new QueuedMessage(bytes, MessageClass.StreamStatus, DeliveryHints.Reliable, long.MaxValue, null));
    }

    private void SendStatus(NetStream ns, string level, string code, string description, string? details)
    {
        EnqueueStatus(ns, NetStatus.OnStatus(level, code, description, details));
        Drain(ns);
    }

    /// <summary>
    /// Offers queued messages to the transport in order: stale droppable media is skipped (and re-arms
    /// the video gate), inter frames wait for a keyframe, and the first refusal stops the drain.
    /// </summary>
    private void Drain(NetStream ns)
    {
        long now = -1;
        while (ns.Queue.TryPeek(out var m))
        {
            if (m.IsBarrier)
            {
                _output.Synchronize(ns.Id);
                ns.Queue.Dequeue();
                continue;
            }
            if (m.IsDroppable)
            {
                if (now < 0)
                {
                    now = _options.Time.GetTimestamp();
                }
                if (m.Deadline < now)
                {
                    ns.Queue.Dequeue();
                    Counters.StaleDrops++;
                    if (m.IsVideo)
                    {
                        ns.WaitingForKeyframe = true;
                    }
                    continue;
                }
                if (m.Kind == MediaFrameKind.VideoInter && ns.WaitingForKeyframe)
                {
                    ns.Queue.Dequeue();
                    Counters.GatedDrops++;
                    continue;
                }
            }
            if (!_output.Send(ns.Id, m.Message, m.Class, m.Hints))
            {
                return;
            }
            if (m.Kind == MediaFrameKind.VideoKeyframe)
            {
                ns.WaitingForKeyframe = false;
            }
            ns.Queue.Dequeue();
        }
    }

    private void SetReceive(NetStream ns, bool audio, bool enabled)
    {
        bool wasEnabled = audio ? ns.ReceiveAudio : ns.ReceiveVideo;
        if (audio)
        {
            ns.ReceiveAudio = enabled;
        }
        else
        {
            ns.ReceiveVideo = enabled;
        }
        if (!enabled || wasEnabled || ns.State != NetStreamState.Playing)
        {
            return;
        }
        // B5: on re-enable, resend the configuration and (video) wait for the next keyframe.
        var config = audio ? ns.LastAudioConfig : ns.LastVideoConfig;
        if (!audio)
        {
            ns.WaitingForKeyframe = true;
        }
        if (config is not null)
        {
            EnqueueFrame(ns, config);
            Drain(ns);
        }
    }

    private void HandlePause(NetStream ns, bool paused)
    {
        if (ns.State != NetStreamState.Playing || ns.Paused == paused)
        {
            Counters.IgnoredMessages++;
            return;
        }
        ns.Paused = paused;
        if (!paused)
        {
            // tcserver: wait for a keyframe on resume.
            ns.WaitingForKeyframe = true;
        }
        SendStatus(ns, StatusLevel.Status, paused ? StatusCode.PauseNotify : StatusCode.UnpauseNotify,
            paused ? $"Pausing {ns.Stream.Name}" : $"Unpausing {ns.Stream.Name}", ns.Stream.Name);
    }

    /// <summary>closeStream / publish(false) / play(false): stop and tell the client (MonaServer2).</summary>
    private void CloseStreamActivity(NetStream ns)
    {
        var state = ns.State;
        var name = ns.Stream.Name;
        StopActivity(ns);
        if (state == NetStreamState.Publishing)
        {
            SendStatus(ns, StatusLevel.Status, StatusCode.UnpublishSuccess, $"{name} is now unpublished", name);
        }
        else if (state == NetStreamState.Playing)
        {
            EnqueueStatus(ns, NetStatus.OnStatus(StatusLevel.Status, StatusCode.PlayStop, $"Stopped playing {name}", name));
            EnqueueUserControl(ns, UserControlEvent.StreamEof(ns.Id));
            Drain(ns);
        }
        else
        {
            Counters.IgnoredMessages++;
        }
    }

    /// <summary>Leaves publishing or playing; pending decisions for the stream become stale.</summary>
    private void StopActivity(NetStream ns)
    {
        ns.Generation++;
        switch (ns.State)
        {
            case NetStreamState.Publishing:
                _relay.Tell(ns.Stream, new StopPublish(new PublisherId(ConnectionId, ns.Id)));
                break;
            case NetStreamState.Playing when ns.Playback is { } playback:
                _relay.Tell(ns.Stream, new Unsubscribe(playback));
                break;
        }
        ns.State = NetStreamState.Idle;
        ns.Playback = null;
    }

    private bool IsStale(NetStream ns, int generation) =>
        State != NetConnectionState.Connected || ns.IsDeleted || ns.Generation != generation;

    private static (string Name, string? Query) SplitQuery(string fullName)
    {
        int q = fullName.IndexOf('?');
        return q < 0 ? (fullName, null) : (fullName[..q], fullName[(q + 1)..]);
    }
}
