using System.Net;
using System.Security.Cryptography;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine;

/// <summary>
/// An S_OPEN RTMFP session (RFC 7016 §3.5.2–§3.6): consumes and produces PLAIN packets (encryption and the
/// session ID are the host's job). Single-threaded and clock-driven: every call takes the current monotonic
/// time in milliseconds. Pull model: after <see cref="Receive"/>, a write, or at <see cref="NextWakeupMs"/>,
/// the host calls <see cref="TryBuildPacket"/> until it returns false.
/// This file holds the state, flows, close and timers; Session.Receive.cs the incoming chunks,
/// Session.Send.cs the outgoing packets.
/// </summary>
public sealed partial class Session : IRecvFlowSink
{
    public const long NearCloseRetransmitMs = 5_000;
    public const long NearCloseTimeoutMs = 90_000;
    public const long FarCloseLingerMs = 19_000;
    public const long DelayedAckMs = 200;
    /// <summary>Acknowledgement bytes each received byte may draw (RFC 7016 §3.6.3.4: acks answer what arrived).</summary>
    public const int AckCreditPerByteReceived = 2;
    /// <summary>Ranges one acknowledgement carries at most, nearest the cumulative point first (§3.6.3.4.2).</summary>
    public const int MaxAckRanges = 256;
    public const long MobilityCheckIntervalMs = 1_000;
    public const long MobilityLifetimeMs = 120_000;
    private const byte MobilityMarker = (byte)'M';
    private const int MobilityHashLength = 16;
    private const int MobilityPingLength = 1 + 8 + MobilityHashLength;
    private const int MaxPendingPingReplies = 4;

    private readonly ISessionHandler _handler;
    private readonly SessionOptions _options;
    private long _keepaliveIntervalMs;
    private long _idleTimeoutMs;
    private readonly TimeCriticalTracker? _tracker;
    private readonly TimestampEcho _echo = new();
    private readonly Dictionary<ulong, SendFlow> _sendFlows = new();
    private readonly List<SendFlow> _sendOrder = new();
    private readonly Dictionary<ulong, RecvFlow> _recvFlows = new();
    private readonly ReceiveBudget _receiveBudget;
    private readonly List<RecvFlow> _recvOrder = new();
    private readonly List<ulong> _removals = new();
    private readonly byte[] _mobilitySecret;
    private readonly byte[][] _pingReplies = new byte[MaxPendingPingReplies][];
    private readonly int[] _pingReplyLengths = new int[MaxPendingPingReplies];
    private readonly byte[] _mobilityPing = new byte[MobilityPingLength];
    private readonly byte[] _hashInput = new byte[1 + 8 + 128];
    private int _pingReplyCount;
    private ulong _nextFlowId = 1;
    private int _roundRobin;
    private ulong _nextTsn = 1;
    private ulong _maxTsnAck;
    private bool _ackNow;
    // Acknowledgement bytes we may still send; earned by received packets, capped at a few packets.
    private long _ackCredit;
    private int _rxDataPackets;
    private long _delackAlarmMs = long.MaxValue;
    private long _timeoutAlarmMs = long.MaxValue;
    private long _lastReceiveMs;
    private long _lastKeepaliveMs = long.MinValue / 2;
    private bool _keepaliveOutstanding;
    private bool _keepaliveDue;
    private bool _pendingCloseAck;
    private bool _pendingCloseRequest;
    private long _nextCloseRequestMs = long.MaxValue;
    private long _stateDeadlineMs = long.MaxValue;
    private long _mobTxTs = long.MinValue / 2;
    private long _mobRxTs = long.MinValue / 2;
    private SocketAddress? _mobilityTarget;

    public Session(SessionRole role, SocketAddress farAddress, ISessionHandler handler, long nowMs,
        SessionOptions? options = null, TimeCriticalTracker? tracker = null)
    {
        Role = role;
        FarAddress = SocketAddresses.Copy(farAddress);
        _handler = handler;
        _options = options ?? new SessionOptions();
        _keepaliveIntervalMs = _options.KeepaliveIntervalMs;
        _idleTimeoutMs = _options.IdleTimeoutMs;
        _receiveBudget = new ReceiveBudget(_options.MaxReceiveBufferedBytes);
        _ackCredit = _options.MaxPacketSize;
        _tracker = tracker;
        Congestion = new CongestionControl(tracker);
        _lastReceiveMs = nowMs;
        _mobilitySecret = _options.MobilitySecret ?? RandomNumberGenerator.GetBytes(32);
        if (_mobilitySecret.Length < 16)
        {
            throw new ArgumentException("mobility secret must be at least 128 bits", nameof(options));
        }
        for (int i = 0; i < MaxPendingPingReplies; i++)
        {
            _pingReplies[i] = new byte[_options.MaxPacketSize];
        }
    }

    public SessionRole Role { get; }
    public SessionState State { get; private set; } = SessionState.Open;
    /// <summary>DESTADDR: where packets go.</summary>
    public SocketAddress FarAddress { get; private set; }
    public RetransmissionTimeout Rto { get; } = new();
    public CongestionControl Congestion { get; }
    /// <summary>S_OUTSTANDING_BYTES.</summary>
    public long OutstandingBytes
    {
        get
        {
            long sum = 0;
            foreach (var f in _sendOrder)
            {
                sum += f.OutstandingBytes;
            }
            return sum;
        }
    }
    public int SendFlowCount => _sendOrder.Count;
    /// <summary>User data fragments sent more than once in this session (all flows, closed ones included).</summary>
    public long Retransmissions { get; private set; }
    public int RecvFlowCount => _recvOrder.Count;
    /// <summary>Opaque host state.</summary>
    public object? Tag { get; set; }

    private PacketMode NearMode => Role == SessionRole.Initiator ? PacketMode.InitiatorMark : PacketMode.ResponderMark;
    private PacketMode FarMode => Role == SessionRole.Initiator ? PacketMode.ResponderMark : PacketMode.InitiatorMark;

    // ---------------------------------------------------------------- flows

    /// <summary>Opens a sending flow (RFC 7016 §3.6.2.1), optionally in return to a receiving flow.</summary>
    public SendFlow OpenFlow(ReadOnlyMemory<byte> metadata, RecvFlow? returnAssociation = null)
    {
        if (State != SessionState.Open)
        {
            throw new InvalidOperationException("flows exist only in S_OPEN sessions");
        }
        var flow = TakeResumedFlow(metadata.Span, returnAssociation?.FlowId) ?? NewSendFlow(metadata, returnAssociation?.FlowId);
        flow.StartupOptions = new byte[UserDataOptions.GetLength(metadata.Span, returnAssociation?.FlowId)];
        UserDataOptions.Write(flow.StartupOptions, metadata.Span, returnAssociation?.FlowId);
        _sendFlows.Add(flow.FlowId, flow);
        _sendOrder.Add(flow);
        FlowChanges++;
        return flow;
    }

    private SendFlow NewSendFlow(ReadOnlyMemory<byte> metadata, ulong? returnAssociation)
    {
        while (_sendFlows.ContainsKey(_nextFlowId))
        {
            _nextFlowId++;
        }
        return new SendFlow(_nextFlowId++, metadata, returnAssociation, _options.MaxPacketSize);
    }

    public bool TryGetSendFlow(ulong flowId, out SendFlow flow) => _sendFlows.TryGetValue(flowId, out flow!);

    public bool TryGetRecvFlow(ulong flowId, out RecvFlow flow) => _recvFlows.TryGetValue(flowId, out flow!);

    /// <summary>
    /// Shortens the keepalive interval and idle timeout (never lengthens them): a session whose far end others depend
    /// on (a NetGroup member) probes sooner when idle and is declared dead sooner when the probes go unanswered
    /// (RFC 7016 §3.5.4.1; docs/groups.md).
    /// </summary>
    public void TightenLiveness(long keepaliveIntervalMs, long idleTimeoutMs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keepaliveIntervalMs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(idleTimeoutMs, 1);
        _keepaliveIntervalMs = Math.Min(_keepaliveIntervalMs, keepaliveIntervalMs);
        _idleTimeoutMs = Math.Min(_idleTimeoutMs, idleTimeoutMs);
    }

    // ---------------------------------------------------------------- close

    /// <summary>Why the session left S_OPEN; <see cref="SessionCloseCause.None"/> while it is open.</summary>
    public SessionCloseCause CloseCause { get; private set; }

    /// <summary>Orderly close (RFC 7016 §3.5.5): S_NEARCLOSE, Close Requests every 5 s for up to 90 s.</summary>
    public void Close(long nowMs)
    {
        if (State != SessionState.Open)
        {
            return;
        }
        LeaveOpen(SessionCloseCause.Local);
        AbortFlows();
        _pendingCloseRequest = true;
        _nextCloseRequestMs = nowMs + NearCloseRetransmitMs;
        _stateDeadlineMs = nowMs + NearCloseTimeoutMs;
        SetState(SessionState.NearClose);
    }

    /// <summary>Abrupt close: one Close Acknowledgement is still sent, then nothing.</summary>
    public void Abort()
    {
        if (State == SessionState.Closed)
        {
            return;
        }
        LeaveOpen(SessionCloseCause.LocalAbort);
        AbortFlows();
        _pendingCloseAck = true;
        SetState(SessionState.Closed);
    }

    /// <summary>Records the first reason the session left S_OPEN.</summary>
    private void LeaveOpen(SessionCloseCause cause)
    {
        if (CloseCause == SessionCloseCause.None)
        {
            CloseCause = cause;
        }
    }

    private void SetState(SessionState state)
    {
        State = state;
        if (state != SessionState.NearClose)
        {
            _pendingCloseRequest = false;
            _nextCloseRequestMs = long.MaxValue;
        }
        if (state == SessionState.Closed)
        {
            _stateDeadlineMs = long.MaxValue;
            _delackAlarmMs = long.MaxValue;
            _timeoutAlarmMs = long.MaxValue;
            _mobilityTarget = null;
            _pingReplyCount = 0;
            _keepaliveDue = false;
        }
        _handler.OnStateChanged(this, state);
    }

    private void AbortFlows()
    {
        foreach (var f in _sendOrder)
        {
            f.Abort();
        }
        foreach (var f in _recvOrder)
        {
            f.Abort();
        }
        _sendFlows.Clear();
        _sendOrder.Clear();
        _recvFlows.Clear();
        _recvOrder.Clear();
        FlowChanges++;
        _ackNow = false;
    }

    // ---------------------------------------------------------------- timers

    /// <summary>Runs due timers (delayed ack, retransmission timeout, keepalive, idle, close, linger, deadlines).</summary>
    public void Tick(long nowMs)
    {
        if (State != SessionState.Open)
        {
            TickClosing(nowMs);
            return;
        }
        if (nowMs - _lastReceiveMs >= _idleTimeoutMs)
        {
            LeaveOpen(SessionCloseCause.IdleTimeout);
            Abort();
            return;
        }
        if (nowMs >= _delackAlarmMs)
        {
            _delackAlarmMs = long.MaxValue;
            _ackNow = true;
        }
        if (nowMs >= _timeoutAlarmMs)
        {
            OnTimeoutAlarm();
        }
        if (!_keepaliveDue && nowMs - _lastReceiveMs >= _keepaliveIntervalMs && nowMs - _lastKeepaliveMs >= Rto.ErtoMs)
        {
            _keepaliveDue = true;
        }
        RemoveLingeringFlows(nowMs);
    }

    // RFC 7016 §3.5.5: Close Request retransmission and the S_NEARCLOSE / S_FARCLOSE_LINGER deadlines.
    private void TickClosing(long nowMs)
    {
        switch (State)
        {
            case SessionState.NearClose:
                if (nowMs >= _stateDeadlineMs)
                {
                    SetState(SessionState.Closed);
                }
                else if (nowMs >= _nextCloseRequestMs)
                {
                    _pendingCloseRequest = true;
                    _nextCloseRequestMs = nowMs + NearCloseRetransmitMs;
                }
                break;
            case SessionState.FarCloseLinger:
                if (nowMs >= _stateDeadlineMs)
                {
                    SetState(SessionState.Closed);
                }
                break;
        }
    }

    // RFC 7016 §3.6.2.6
    private void OnTimeoutAlarm()
    {
        _timeoutAlarmMs = long.MaxValue;
        bool wasLoss = false;
        foreach (var f in _sendOrder)
        {
            wasLoss |= f.OnTimeout();
        }
        if (wasLoss)
        {
            Rto.Backoff();
        }
        Congestion.OnTimeout(wasLoss);
    }

    /// <summary>Abandons expired messages, then forgets the flows whose linger time is over.</summary>
    private void RemoveLingeringFlows(long nowMs)
    {
        _removals.Clear();
        foreach (var f in _sendOrder)
        {
            f.AbandonExpired(nowMs);
            if (f.CheckLinger(nowMs))
            {
                _removals.Add(f.FlowId);
            }
        }
        ForgetRemovals(_sendOrder, _sendFlows);
        foreach (var f in _recvOrder)
        {
            if (f.CheckLinger(nowMs))
            {
                _removals.Add(f.FlowId);
            }
        }
        ForgetRemovals(_recvOrder, _recvFlows);
    }

    /// <summary>Forgets the flows listed in <see cref="_removals"/> (one direction's order and index), then clears it.</summary>
    private void ForgetRemovals<TFlow>(List<TFlow> order, Dictionary<ulong, TFlow> flows)
        where TFlow : class
    {
        foreach (ulong id in _removals)
        {
            order.Remove(flows[id]);
            FlowChanges++;
            flows.Remove(id);
        }
        _removals.Clear();
    }

    /// <summary>The earliest time the host must call <see cref="TryBuildPacket"/> (or <see cref="Tick"/>) again.</summary>
    public long NextWakeupMs(long nowMs)
    {
        if (State == SessionState.Closed)
        {
            return _pendingCloseAck ? nowMs : long.MaxValue;
        }
        if (_pendingCloseAck || _pendingCloseRequest || _pingReplyCount > 0 || _mobilityTarget is not null || _keepaliveDue)
        {
            return nowMs;
        }
        long next = Math.Min(_stateDeadlineMs, _nextCloseRequestMs);
        if (State != SessionState.Open)
        {
            return next;
        }
        if (_ackNow || AnyDataReady())
        {
            return nowMs;
        }
        next = Math.Min(next, _delackAlarmMs);
        next = Math.Min(next, _timeoutAlarmMs);
        next = Math.Min(next, _lastReceiveMs + _idleTimeoutMs);
        next = Math.Min(next, Math.Max(_lastReceiveMs + _keepaliveIntervalMs, _lastKeepaliveMs + Rto.ErtoMs));
        foreach (var f in _sendOrder)
        {
            next = Math.Min(next, f.NextExpiryMs);
            next = Math.Min(next, f.NextProbeMs);
            next = Math.Min(next, f.LingerUntilMs);
        }
        foreach (var f in _recvOrder)
        {
            next = Math.Min(next, f.LingerUntilMs);
        }
        return Math.Max(next, nowMs);
    }

    private bool AnyDataReady()
    {
        if (!Congestion.CanSend(OutstandingBytes))
        {
            return false;
        }
        foreach (var f in _sendOrder)
        {
            f.PrepareForwardSequenceNumber();
            if (f.WindowAllows && f.FindEligible() >= 0)
            {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- IRecvFlowSink

    void IRecvFlowSink.OnMessage(RecvFlow flow, ReadOnlySpan<byte> message) => _handler.OnMessage(this, flow, message);

    void IRecvFlowSink.OnMessagesLost(RecvFlow flow) => _handler.OnMessagesLost(this, flow);

    void IRecvFlowSink.OnFlowComplete(RecvFlow flow) => _handler.OnFlowComplete(this, flow);

    void IRecvFlowSink.RequestAcknowledgement(RecvFlow flow)
    {
        if (State == SessionState.Open)
        {
            _ackNow = true;
        }
    }
}
