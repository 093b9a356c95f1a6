using Rtmfp.Cluster;
using System.Net;
using Rtmfp.Engine;
using Rtmfp.Flash;
using Rtmfp.Sessions.Flows;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Sessions.Rtmfp;

/// <summary>
/// Carries one <see cref="NetConnection"/> over the flows of one RTMFP <see cref="Session"/> (RFC 7425 §5.1–§5.3).
/// Incoming "TC" flows deliver RTMP messages for their stream ID (§5.1.2); the first one, stream 0, is the
/// client's NetConnection control flow. Every server flow is a return flow associated with that control
/// flow (§5.3.2, §5.3.5; tcserver does the same): one for stream 0, and per stream one for commands and
/// data, one for audio and one for video. Incoming Flow Syncs hold their flows until the barrier is
/// complete (§5.2); <see cref="Synchronize"/> sends them. The host calls the flow callbacks from its
/// <see cref="ISessionHandler"/> and <see cref="Service"/> after every engine call (outside engine
/// callbacks), then honours <see cref="CloseDueMs"/>. Single-threaded, like the session.
/// </summary>
internal sealed class RtmfpFlashAdapter : IFlashConnectionOutput, IFlowService
{
    private const int MaxPendingSyncs = 64;

    /// <summary>State of one accepted receiving flow (RecvFlow.Tag).</summary>
    private sealed class InboundFlow(RecvFlow flow, uint streamId, bool isControl)
    {
        public RecvFlow Flow { get; } = flow;
        public uint StreamId { get; } = streamId;
        public bool IsControl { get; } = isControl;
        /// <summary>Waiting for a Flow Sync to complete, or for its held messages to be delivered.</summary>
        public bool Held { get; set; }
        public bool ReleaseQueued { get; set; }
        public Queue<byte[]>? HeldMessages { get; set; }
        public long HeldBytes { get; set; }
        public bool CompletePending { get; set; }
    }

    /// <summary>State of one server sending flow (SendFlow.Tag).</summary>
    private sealed class OutboundFlow(OutboundFlowKey key)
    {
        public OutboundFlowKey Key { get; } = key;
        public bool Blocked { get; set; }
    }

    private readonly Session _session;
    private readonly Func<IFlashConnectionOutput, NetConnection> _connectionFactory;
    private readonly RtmfpFlashAdapterOptions _options;
    private readonly Func<long> _clock;
    private readonly Dictionary<OutboundFlowKey, SendFlow> _sendFlows = [];
    private readonly Dictionary<uint, List<InboundFlow>> _pendingSyncs = [];
    private readonly List<InboundFlow> _toRelease = [];
    private readonly List<OutboundFlowKey> _scratchKeys = [];
    private readonly List<SendFlow> _scratchFlows = [];
    private InboundFlow? _control;
    private bool _anyBlocked;
    private bool _closed;
    private bool _replaying;
    private uint _nextSyncId = 1;
    private ulong _recordedDelivered;
    private ulong _recordedWritten;

    private static readonly OutboundFlowKey ControlKey = new(0, StreamFlowKind.Control, false);

    /// <param name="session">The engine session (responder side).</param>
    /// <param name="connectionFactory">Creates the connection when the client's control flow opens.</param>
    /// <param name="clock">The session's monotonic clock in milliseconds (message deadlines, close timing).</param>
    public RtmfpFlashAdapter(Session session, Func<IFlashConnectionOutput, NetConnection> connectionFactory,
        Func<long> clock, RtmfpFlashAdapterOptions? options = null)
    {
        _session = session ?? throw new ArgumentNullException(nameof(session));
        _connectionFactory = connectionFactory ?? throw new ArgumentNullException(nameof(connectionFactory));
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        _options = options ?? RtmfpFlashAdapterOptions.Default;
    }

    /// <summary>The NetConnection, once the client opened its control flow.</summary>
    public NetConnection? Connection { get; private set; }

    /// <summary>When the host must close the RTMFP session (long.MaxValue: no close asked).</summary>
    public long CloseDueMs { get; private set; } = long.MaxValue;

    public int SendFlowCount => _sendFlows.Count;

    /// <summary>The client's state commands so far, for the session's record.</summary>
    public FlashCommandLog Commands { get; } = new();

    /// <summary>
    /// A resumed session: the commands of its earlier incarnation go into the new connection with every answer silenced
    /// (the client heard them then). Call once the control flow is accepted again.
    /// </summary>
    public void Replay(IReadOnlyList<FlashCommand> commands)
    {
        Commands.Restore(commands, overflowed: false);
        if (Connection is null)
        {
            return;
        }
        _replaying = true;
        try
        {
            foreach (var command in commands)
            {
                Connection.Replay(command.StreamId, command.Message);
            }
        }
        finally
        {
            _replaying = false;
        }
    }

    /// <summary>
    /// A resumed session, after <see cref="Replay"/>: the control flow's queue of the earlier incarnation goes out again
    /// with its own sequence numbers (the client drops what it has), then the calls that were never answered run again.
    /// </summary>
    public void ResumeControl(bool durableFlowOnRecord, IReadOnlyList<FlashCommand> pendingCalls)
    {
        if (_control is null || Connection is null)
        {
            return;
        }
        if (durableFlowOnRecord)
        {
            GetOrOpen(ControlKey);
        }
        foreach (var call in pendingCalls)
        {
            Commands.Observe(0, call.Message);
            Connection.OnMessage(0, call.Message);
        }
    }

    /// <summary>
    /// The control flow took or sent a message since <see cref="MarkControlRecorded"/>: the session records before the
    /// acknowledgement of a call, or a reliable message of ours, leaves (RFC 7016 §3.6.3: what is acknowledged is gone
    /// from the sender; what we send must be on record to be sent again after a crash).
    /// </summary>
    public bool ControlChanged =>
        (_control is { } control && control.Flow.DeliveredThrough != _recordedDelivered)
        || (_sendFlows.TryGetValue(ControlKey, out var flow) && flow.WrittenThrough != _recordedWritten);

    public void MarkControlRecorded()
    {
        _recordedDelivered = _control?.Flow.DeliveredThrough ?? 0;
        _recordedWritten = _sendFlows.TryGetValue(ControlKey, out var flow) ? flow.WrittenThrough : 0;
    }

    /// <summary>Flow Syncs waiting for more flows.</summary>
    public int PendingSyncCount => _pendingSyncs.Count;

    /// <summary>The server flow for a key, if open (tests, diagnostics).</summary>
    public SendFlow? FindSendFlow(OutboundFlowKey key) => _sendFlows.GetValueOrDefault(key);

    // ---------------------------------------------------------------- from the session handler

    /// <summary>
    /// A new receiving flow: claims it when its metadata is valid "TC" metadata (RFC 7425 §5.1.1). The first
    /// must be stream 0 (the NetConnection); nothing else is accepted before it. False: the host rejects it.
    /// </summary>
    public bool TryAccept(RecvFlow flow)
    {
        if (_closed || !RtmpMetadata.TryRead(flow.Metadata.Span, out var metadata))
        {
            return false;
        }
        InboundFlow state;
        if (_control is null)
        {
            if (metadata.StreamId != 0)
            {
                return false; // RFC 7425 §5.3.2: the NetConnection comes first
            }
            state = _control = new InboundFlow(flow, 0, isControl: true);
            // Exactly-once calls across a crash: a call is acknowledged only once it is delivered, and the session
            // records what was delivered before any acknowledgement leaves (SessionActor.Persistence.cs).
            flow.AcknowledgeDeliveredOnly = true;
            Connection = _connectionFactory(this);
        }
        else
        {
            state = new InboundFlow(flow, metadata.StreamId, isControl: false);
        }
        flow.Tag = state;
        flow.DeliverInArrivalOrder = metadata.ReceiveIntent == ReceiveIntent.NetworkArrivalOrder;
        flow.BufferCapacity = _options.ReceiveBufferCapacity;
        return true;
    }

    /// <summary>One message of an accepted flow.</summary>
    public void OnMessage(RecvFlow flow, ReadOnlySpan<byte> message)
    {
        if (flow.Tag is InboundFlow state && Connection is not null)
        {
            Process(state, message);
        }
    }

    /// <summary>A receiving flow completed: the control flow's completion is the client's orderly close (§5.3.6).</summary>
    public void OnFlowComplete(RecvFlow flow)
    {
        if (flow.Tag is not InboundFlow state)
        {
            return;
        }
        if (state.Held || state.HeldMessages is { Count: > 0 })
        {
            state.CompletePending = true;
            return;
        }
        Complete(state);
    }

    /// <summary>The client rejected one of our flows; on the control flow that means it is gone (§5.3.6).</summary>
    public void OnFlowException(SendFlow flow)
    {
        if (flow.Tag is OutboundFlow { Key.StreamId: 0 })
        {
            Connection?.OnPeerClosed(abrupt: true);
            RequestClose(abrupt: true);
        }
    }

    /// <summary>The session left S_OPEN: the connection ends abruptly.</summary>
    public void OnSessionClosing()
    {
        _closed = true;
        _sendFlows.Clear();
        Connection?.OnPeerClosed(abrupt: true);
    }

    public void OnAddressChanged(SocketAddress address)
    {
        if (Connection is not null && Address.TryFromSocketAddress(address, AddressOrigin.Observed, out var observed))
        {
            Connection.OnAddressChanged(observed);
        }
    }

    /// <summary>
    /// Runs what must not run inside engine callbacks: delivers messages released by completed Flow Syncs and
    /// resumes their flows, and offers the connection room on flows that drained. Call after each engine call.
    /// </summary>
    public void Service()
    {
        if (_pendingSyncs.Count > 0 && HoldsTooMuch())
        {
            GiveUpSyncs(); // a barrier that never completes must not hold memory or stall the flow forever
        }
        for (int i = 0; i < _toRelease.Count; i++)
        {
            Release(_toRelease[i]);
        }
        _toRelease.Clear();
        if (_anyBlocked)
        {
            bool ready = false;
            _anyBlocked = false;
            foreach (var flow in _sendFlows.Values)
            {
                if (flow.Tag is OutboundFlow { Blocked: true } state)
                {
                    if (flow.State != SendFlowState.Open || flow.QueuedFragmentCount <= _options.LowWaterFragments)
                    {
                        state.Blocked = false;
                        ready = true;
                    }
                    else
                    {
                        _anyBlocked = true;
                    }
                }
            }
            if (ready)
            {
                Connection?.OnOutputReady();
            }
        }
    }

    // ---------------------------------------------------------------- IFlashConnectionOutput

    public bool Send(uint streamId, ReadOnlyMemory<byte> rtmpMessage, MessageClass messageClass, DeliveryHints hints)
    {
        if (_closed || _replaying)
        {
            return true; // closing: nothing more goes out
        }
        var flow = GetOrOpen(KeyFor(streamId, messageClass, hints.NetworkArrivalOrder));
        if (flow is null || flow.ExceptionReceived || flow.State != SendFlowState.Open)
        {
            return true; // nobody will read it: drop rather than stall the stream (§5.3.5: do not reopen)
        }
        if (messageClass == MessageClass.Control)
        {
            if (flow.QueuedFragmentCount >= _options.ControlHighWaterFragments)
            {
                // Answers are never refused (the NetConnection cannot wait), but a client that acknowledges none
                // of them while it keeps calling would make the queue grow without end: it is gone as far as
                // RFC 7425 §5.3.6 is concerned, and the connection closes abruptly (security review, finding 8).
                Close(ConnectionCloseKind.Abrupt);
                return true;
            }
        }
        else if (flow.QueuedFragmentCount >= _options.HighWaterFragments)
        {
            ((OutboundFlow)flow.Tag!).Blocked = true;
            _anyBlocked = true;
            return false;
        }
        long expires = hints.Lifetime is { } lifetime ? _clock() + (long)lifetime.TotalMilliseconds : long.MaxValue;
        if (streamId == 0)
        {
            Commands.OnAnswer(rtmpMessage.Span); // a call answered is no longer pending
        }
        flow.Write(rtmpMessage, expires);
        return true;
    }

    /// <summary>RFC 7425 §5.2: a Flow Sync with the same ID on each open flow of the stream.</summary>
    public void Synchronize(uint streamId)
    {
        if (_replaying)
        {
            return;
        }
        _scratchFlows.Clear();
        foreach (var (key, flow) in _sendFlows)
        {
            if (key.StreamId == streamId && flow.State == SendFlowState.Open && !flow.ExceptionReceived)
            {
                _scratchFlows.Add(flow);
            }
        }
        if (_scratchFlows.Count >= 2)
        {
            var message = new byte[RtmpMessage.HeaderLength + 10];
            UserControlEvent.FlowSync(_nextSyncId++, (uint)_scratchFlows.Count).WriteMessage(message);
            foreach (var flow in _scratchFlows)
            {
                flow.Write(message);
            }
        }
        _scratchFlows.Clear();
    }

    /// <summary>RFC 7425 §5.3.5.3: the stream was deleted; its flows close once their data is delivered.</summary>
    public void CloseStream(uint streamId)
    {
        _scratchKeys.Clear();
        foreach (var key in _sendFlows.Keys)
        {
            if (key.StreamId == streamId)
            {
                _scratchKeys.Add(key);
            }
        }
        foreach (var key in _scratchKeys)
        {
            _sendFlows.Remove(key, out var flow);
            flow!.Close();
        }
        _scratchKeys.Clear();
    }

    /// <summary>
    /// RFC 7425 §5.3.6: orderly closes every sending flow (the session follows after a grace period, unless the
    /// client ends it first); abrupt closes the session.
    /// </summary>
    public void Close(ConnectionCloseKind kind)
    {
        if (kind == ConnectionCloseKind.Orderly)
        {
            foreach (var flow in _sendFlows.Values)
            {
                flow.Close();
            }
            _sendFlows.Clear();
            _closed = true;
            RequestClose(abrupt: false);
        }
        else
        {
            _closed = true;
            RequestClose(abrupt: true);
        }
    }

    // ---------------------------------------------------------------- internals

    private static OutboundFlowKey KeyFor(uint streamId, MessageClass messageClass, bool networkArrivalOrder)
    {
        if (streamId == 0)
        {
            return ControlKey;
        }
        return messageClass switch
        {
            MessageClass.Audio => new OutboundFlowKey(streamId, StreamFlowKind.Audio, networkArrivalOrder),
            MessageClass.Video => new OutboundFlowKey(streamId, StreamFlowKind.Video, networkArrivalOrder),
            _ => new OutboundFlowKey(streamId, StreamFlowKind.Data, false),
        };
    }

    private SendFlow? GetOrOpen(OutboundFlowKey key)
    {
        if (_sendFlows.TryGetValue(key, out var flow))
        {
            return flow;
        }
        if (_closed || _control is null || _session.State != SessionState.Open || key.StreamId > RtmpMetadata.MaxStreamId)
        {
            return null;
        }
        var metadata = new RtmpMetadata(key.StreamId, key.NetworkArrivalOrder ? ReceiveIntent.NetworkArrivalOrder : ReceiveIntent.OriginalQueuingOrder);
        // §5.3.2/§5.3.5: server flows return to the client's NetConnection control flow.
        flow = _session.OpenFlow(metadata.ToArray(), _control.Flow);
        flow.Tag = new OutboundFlow(key);
        flow.Durable = key.StreamId == 0; // the control flow's reliable messages are recorded until acknowledged
        flow.Priority = StreamFlows.Priority(key.Kind);
        flow.TimeCritical = StreamFlows.IsTimeCritical(key.Kind);
        _sendFlows.Add(key, flow);
        return flow;
    }

    private void Process(InboundFlow state, ReadOnlySpan<byte> message)
    {
        if (state.Held)
        {
            Hold(state, message);
            return;
        }
        if (UserControlEvent.TryReadFlowSync(message, out uint syncId, out uint count))
        {
            OnFlowSync(state, syncId, count);
            return;
        }
        Commands.Observe(state.StreamId, message);
        Connection!.OnMessage(state.StreamId, message);
    }

    // RFC 7425 §5.2: suspend the flow until `count` flows have seen this sync ID, then resume them all.
    private void OnFlowSync(InboundFlow state, uint syncId, uint count)
    {
        if (count <= 1 || count > _options.MaxSyncCount)
        {
            return;
        }
        if (!_pendingSyncs.TryGetValue(syncId, out var flows))
        {
            if (_pendingSyncs.Count >= MaxPendingSyncs)
            {
                GiveUpSyncs();
            }
            flows = [];
            _pendingSyncs.Add(syncId, flows);
        }
        if (!flows.Contains(state))
        {
            flows.Add(state);
        }
        state.Held = true;
        state.Flow.SuspendDelivery();
        if (flows.Count >= count)
        {
            _pendingSyncs.Remove(syncId);
            foreach (var f in flows)
            {
                QueueRelease(f);
            }
        }
    }

    private void Hold(InboundFlow state, ReadOnlySpan<byte> message)
    {
        (state.HeldMessages ??= new Queue<byte[]>()).Enqueue(message.ToArray());
        state.HeldBytes += message.Length;
    }

    // Held here or still in the engine's receive buffer (a suspended flow's buffer fills until its window closes).
    private bool HoldsTooMuch()
    {
        long limit = Math.Min(_options.MaxHeldSyncBytes, _options.ReceiveBufferCapacity);
        foreach (var flows in _pendingSyncs.Values)
        {
            foreach (var f in flows)
            {
                if (f.HeldBytes + f.Flow.BufferedSize >= limit)
                {
                    return true;
                }
            }
        }
        return false;
    }

    private void GiveUpSyncs()
    {
        foreach (var flows in _pendingSyncs.Values)
        {
            foreach (var f in flows)
            {
                QueueRelease(f);
            }
        }
        _pendingSyncs.Clear();
    }

    private void QueueRelease(InboundFlow state)
    {
        if (!state.ReleaseQueued)
        {
            state.ReleaseQueued = true;
            _toRelease.Add(state);
        }
    }

    // Outside engine callbacks: deliver what was held, in order, then let the engine deliver the rest.
    private void Release(InboundFlow state)
    {
        state.ReleaseQueued = false;
        state.Held = false;
        var queue = state.HeldMessages;
        while (!state.Held && queue is { Count: > 0 } && Connection is not null)
        {
            var message = queue.Dequeue();
            state.HeldBytes -= message.Length;
            Process(state, message);
        }
        if (state.Held)
        {
            return; // another Flow Sync among the held messages
        }
        state.Flow.ResumeDelivery();
        if (!state.Held && state.CompletePending && state.HeldMessages is not { Count: > 0 })
        {
            state.CompletePending = false;
            Complete(state);
        }
    }

    private void Complete(InboundFlow state)
    {
        if (state.IsControl)
        {
            Connection?.OnPeerClosed(abrupt: false);
        }
    }

    private void RequestClose(bool abrupt)
    {
        long due = abrupt ? _clock() : _clock() + _options.OrderlyCloseGraceMs;
        if (due < CloseDueMs)
        {
            CloseDueMs = due;
        }
    }
}
