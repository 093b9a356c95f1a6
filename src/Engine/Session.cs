using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine;

/// <summary>
/// An S_OPEN RTMFP session (RFC 7016 §3.5.2–§3.6): consumes and produces PLAIN packets (encryption and the
/// session ID are the host's job). Single-threaded and clock-driven: every call takes the current monotonic
/// time in milliseconds. Pull model: after <see cref="Receive"/>, a write, or at <see cref="NextWakeupMs"/>,
/// the host calls <see cref="TryBuildPacket"/> until it returns false.
/// </summary>
public sealed class Session : IRecvFlowSink
{
    public const long NearCloseRetransmitMs = 5_000;
    public const long NearCloseTimeoutMs = 90_000;
    public const long FarCloseLingerMs = 19_000;
    public const long DelayedAckMs = 200;
    public const long MobilityCheckIntervalMs = 1_000;
    public const long MobilityLifetimeMs = 120_000;
    private const byte MobilityMarker = (byte)'M';
    private const int MobilityHashLength = 16;
    private const int MobilityPingLength = 1 + 8 + MobilityHashLength;
    private const int MaxPendingPingReplies = 4;

    private readonly ISessionHandler _handler;
    private readonly SessionOptions _options;
    private readonly TimeCriticalTracker? _tracker;
    private readonly TimestampEcho _echo = new();
    private readonly Dictionary<ulong, SendFlow> _sendFlows = new();
    private readonly List<SendFlow> _sendOrder = new();
    private readonly Dictionary<ulong, RecvFlow> _recvFlows = new();
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
        while (_sendFlows.ContainsKey(_nextFlowId))
        {
            _nextFlowId++;
        }
        var flow = new SendFlow(_nextFlowId++, metadata, returnAssociation?.FlowId, _options.MaxPacketSize);
        flow.StartupOptions = new byte[UserDataOptions.GetLength(metadata.Span, returnAssociation?.FlowId)];
        UserDataOptions.Write(flow.StartupOptions, metadata.Span, returnAssociation?.FlowId);
        _sendFlows.Add(flow.FlowId, flow);
        _sendOrder.Add(flow);
        return flow;
    }

    public bool TryGetSendFlow(ulong flowId, out SendFlow flow) => _sendFlows.TryGetValue(flowId, out flow!);

    public bool TryGetRecvFlow(ulong flowId, out RecvFlow flow) => _recvFlows.TryGetValue(flowId, out flow!);

    // ---------------------------------------------------------------- close

    /// <summary>Orderly close (RFC 7016 §3.5.5): S_NEARCLOSE, Close Requests every 5 s for up to 90 s.</summary>
    public void Close(long nowMs)
    {
        if (State != SessionState.Open)
        {
            return;
        }
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
        AbortFlows();
        _pendingCloseAck = true;
        SetState(SessionState.Closed);
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
        _ackNow = false;
    }

    // ---------------------------------------------------------------- timers

    /// <summary>Runs due timers (delayed ack, retransmission timeout, keepalive, idle, close, linger, deadlines).</summary>
    public void Tick(long nowMs)
    {
        switch (State)
        {
            case SessionState.Closed:
                return;
            case SessionState.NearClose:
                if (nowMs >= _stateDeadlineMs)
                {
                    SetState(SessionState.Closed);
                    return;
                }
                if (nowMs >= _nextCloseRequestMs)
                {
                    _pendingCloseRequest = true;
                    _nextCloseRequestMs = nowMs + NearCloseRetransmitMs;
                }
                return;
            case SessionState.FarCloseLinger:
                if (nowMs >= _stateDeadlineMs)
                {
                    SetState(SessionState.Closed);
                }
                return;
        }
        if (nowMs - _lastReceiveMs >= _options.IdleTimeoutMs)
        {
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
            // RFC 7016 §3.6.2.6
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
        if (!_keepaliveDue && nowMs - _lastReceiveMs >= _options.KeepaliveIntervalMs && nowMs - _lastKeepaliveMs >= Rto.ErtoMs)
        {
            _keepaliveDue = true;
        }
        _removals.Clear();
        foreach (var f in _sendOrder)
        {
            f.AbandonExpired(nowMs);
            if (f.CheckLinger(nowMs))
            {
                _removals.Add(f.FlowId);
            }
        }
        foreach (ulong id in _removals)
        {
            _sendOrder.Remove(_sendFlows[id]);
            _sendFlows.Remove(id);
        }
        _removals.Clear();
        foreach (var f in _recvOrder)
        {
            if (f.CheckLinger(nowMs))
            {
                _removals.Add(f.FlowId);
            }
        }
        foreach (ulong id in _removals)
        {
            _recvOrder.Remove(_recvFlows[id]);
            _recvFlows.Remove(id);
        }
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
        next = Math.Min(next, _lastReceiveMs + _options.IdleTimeoutMs);
        next = Math.Min(next, Math.Max(_lastReceiveMs + _options.KeepaliveIntervalMs, _lastKeepaliveMs + Rto.ErtoMs));
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

    // ---------------------------------------------------------------- receive

    /// <summary>Processes one decrypted plain packet from <paramref name="source"/>. Never throws on peer input.</summary>
    public void Receive(ReadOnlySpan<byte> packet, SocketAddress source, long nowMs)
    {
        if (State == SessionState.Closed)
        {
            return;
        }
        if (!PlainPacket.TryRead(packet, out var header, out var chunks) || header.Mode != FarMode)
        {
            return; // RFC 7016 §2.2.4: ignore packets with our own mode (reflections) or startup mode
        }
        Tick(nowMs);
        if (State == SessionState.Closed)
        {
            return;
        }
        _lastReceiveMs = nowMs;
        if (header.HasTimestamp)
        {
            _echo.OnTimestampReceived(header.Timestamp, nowMs);
        }
        if (header.HasTimestampEcho)
        {
            Rto.OnTimestampEchoReceived(header.TimestampEcho, nowMs);
        }
        if (header.TimeCriticalReverse)
        {
            Congestion.OnTimeCriticalReverseReceived(nowMs);
        }
        if (header.TimeCritical)
        {
            _tracker?.OnTimeCriticalReceived(this, nowMs);
        }
        Congestion.BeginPacket(OutstandingBytes);
        bool anyUserData = false;
        bool anyAck = false;
        RecvFlow? udFlow = null;
        ulong udSn = 0;
        ulong udFsn = 0;
        foreach (var chunk in chunks)
        {
            if (!ChunkTypes.IsAllowedInMode(chunk.Type, header.Mode))
            {
                continue;
            }
            switch (chunk.Type)
            {
                case ChunkType.Ping:
                    if (State == SessionState.Open && PingChunk.TryRead(chunk.Payload, out var ping))
                    {
                        QueuePingReply(ping.Message);
                    }
                    break;
                case ChunkType.PingReply:
                    if (PingReplyChunk.TryRead(chunk.Payload, out var reply))
                    {
                        OnPingReply(reply.MessageEcho, source, nowMs);
                    }
                    break;
                case ChunkType.UserData:
                    if (State == SessionState.Open && UserDataChunk.TryRead(chunk.Payload, out var ud))
                    {
                        anyUserData = true;
                        udFlow = OnUserData(ud.FlowId, ud.SequenceNumber, ud.ForwardSequenceNumber, ud.Flags, ud.Options, ud.UserData, null, nowMs);
                        udSn = ud.SequenceNumber;
                        udFsn = ud.ForwardSequenceNumber;
                    }
                    else
                    {
                        udFlow = null;
                    }
                    break;
                case ChunkType.NextUserData:
                    if (State == SessionState.Open && udFlow is not null && NextUserDataChunk.TryRead(chunk.Payload, out var nud))
                    {
                        anyUserData = true;
                        udSn++;
                        udFlow = OnUserData(udFlow.FlowId, udSn, udFsn, nud.Flags, nud.Options, nud.UserData, udFlow, nowMs);
                    }
                    break;
                case ChunkType.DataAcknowledgementRanges:
                    if (State == SessionState.Open && DataAckRangesChunk.TryRead(chunk.Payload, out var ranges)
                        && OnAck(ranges.FlowId, ranges.BufferBlocksAvailable, ranges.CumulativeAck, ranges.GetRanges(), nowMs))
                    {
                        anyAck = true;
                    }
                    break;
                case ChunkType.DataAcknowledgementBitmap:
                    if (State == SessionState.Open && DataAckBitmapChunk.TryRead(chunk.Payload, out var bitmap)
                        && OnAck(bitmap.FlowId, bitmap.BufferBlocksAvailable, bitmap.CumulativeAck, bitmap.GetRanges(), nowMs))
                    {
                        anyAck = true;
                    }
                    break;
                case ChunkType.BufferProbe:
                    if (State == SessionState.Open && BufferProbeChunk.TryRead(chunk.Payload, out var probe)
                        && _recvFlows.TryGetValue(probe.FlowId, out var probed) && probed.State != RecvFlowState.Closed)
                    {
                        probed.OnBufferProbe();
                        _ackNow = true;
                    }
                    break;
                case ChunkType.FlowExceptionReport:
                    if (State == SessionState.Open && FlowExceptionReportChunk.TryRead(chunk.Payload, out var fer)
                        && _sendFlows.TryGetValue(fer.FlowId, out var rejected) && rejected.OnException(fer.Exception))
                    {
                        _handler.OnFlowException(this, rejected, fer.Exception);
                    }
                    break;
                case ChunkType.SessionCloseRequest:
                    _pendingCloseAck = true;
                    if (State == SessionState.Open)
                    {
                        AbortFlows();
                        _stateDeadlineMs = nowMs + FarCloseLingerMs;
                        SetState(SessionState.FarCloseLinger);
                    }
                    break;
                case ChunkType.SessionCloseAcknowledgement:
                    AbortFlows();
                    SetState(SessionState.Closed);
                    return;
                default:
                    _handler.OnOtherChunk(this, (byte)chunk.Type, chunk.Payload);
                    break;
            }
        }
        if (State != SessionState.Open)
        {
            return;
        }
        if (anyAck)
        {
            // RFC 7016 §3.6.2.5 negative acknowledgements, §3.6.2.6 timeout alarm reset.
            foreach (var f in _sendOrder)
            {
                f.ApplyNegativeAcknowledgements(_maxTsnAck, Congestion);
            }
            if (_timeoutAlarmMs != long.MaxValue)
            {
                _timeoutAlarmMs = nowMs + Rto.ErtoMs;
            }
        }
        Congestion.EndPacket(nowMs);
        if (anyUserData)
        {
            _rxDataPackets++;
            if (_rxDataPackets >= 2)
            {
                _ackNow = true;
            }
            if (!_ackNow && _delackAlarmMs == long.MaxValue)
            {
                _delackAlarmMs = nowMs + DelayedAckMs;
            }
        }
        // RFC 7016 §3.5.4.2: a packet from somewhere else triggers a mobility check of that address.
        if (!source.Equals(FarAddress) && nowMs - _mobTxTs >= MobilityCheckIntervalMs)
        {
            _mobTxTs = nowMs;
            _mobilityTarget = SocketAddresses.Copy(source);
            _mobilityPing[0] = MobilityMarker;
            BinaryPrimitives.WriteInt64BigEndian(_mobilityPing.AsSpan(1), nowMs);
            ComputeMobilityHash(nowMs, source, _mobilityPing.AsSpan(9, MobilityHashLength));
        }
    }

    private RecvFlow? OnUserData(ulong flowId, ulong sn, ulong fsn, UserDataFlags flags, ReadOnlySpan<byte> options,
        ReadOnlySpan<byte> data, RecvFlow? known, long nowMs)
    {
        bool unknownMandatory = false;
        UserDataOptions parsed = default;
        if (!options.IsEmpty)
        {
            if (!UserDataOptions.TryRead(options, out parsed))
            {
                return null; // syntax error: ignore the chunk
            }
            unknownMandatory = parsed.HasUnrecognizedMandatoryOption;
        }
        var flow = known;
        if (flow is null && (!_recvFlows.TryGetValue(flowId, out flow) || flow.State == RecvFlowState.Closed))
        {
            flow = StartRecvFlow(flowId, options.IsEmpty ? default : parsed, !options.IsEmpty);
            if (flow is null)
            {
                return null;
            }
            _ackNow = true;
        }
        var fra = UserDataFlagBits.GetFragmentControl(flags);
        bool abandon = (flags & UserDataFlags.Abandon) != 0;
        bool final = (flags & UserDataFlags.Final) != 0;
        if (flow.OnUserData(sn, fsn, fra, abandon, final, data, unknownMandatory, nowMs))
        {
            _ackNow = true;
        }
        return flow;
    }

    // RFC 7016 §3.6.3.1
    private RecvFlow? StartRecvFlow(ulong flowId, UserDataOptions options, bool hasOptions)
    {
        if (_recvFlows.TryGetValue(flowId, out var old))
        {
            _recvFlows.Remove(flowId);
            _recvOrder.Remove(old);
        }
        if (_recvOrder.Count >= _options.MaxReceivingFlows)
        {
            return null;
        }
        bool hasMetadata = hasOptions && options.HasMetadata;
        ulong? assocId = hasOptions && options.HasReturnFlowAssociation ? options.ReturnFlowId : null;
        SendFlow? association = null;
        if (assocId is ulong id)
        {
            _sendFlows.TryGetValue(id, out association);
        }
        var flow = new RecvFlow(flowId, hasMetadata ? options.Metadata.ToArray() : [], assocId, association, this);
        _recvFlows.Add(flowId, flow);
        _recvOrder.Add(flow);
        if (!hasMetadata || (assocId.HasValue && association is null)
            || (association is not null && association.State != SendFlowState.Open)
            || (hasOptions && options.HasUnrecognizedMandatoryOption))
        {
            flow.Reject(0);
        }
        else
        {
            _handler.OnFlowOpened(this, flow);
        }
        return flow;
    }

    /// <summary>RFC 7016 §3.6.2.4: both acknowledgement chunks; false when the flow is unknown or closed.</summary>
    private bool OnAck<TRanges>(ulong flowId, ulong blocks, ulong cumulativeAck, TRanges ranges, long nowMs)
        where TRanges : IAckRangeEnumerator, allows ref struct
    {
        if (!_sendFlows.TryGetValue(flowId, out var flow) || flow.State == SendFlowState.Closed)
        {
            return false;
        }
        long bytes = blocks > (ulong)(long.MaxValue / RecvFlow.BlockSize) ? long.MaxValue : (long)blocks * RecvFlow.BlockSize;
        flow.BeginAcknowledgement(bytes, nowMs, Rto.ErtoMs);
        long acked = flow.AcknowledgeRange(0, cumulativeAck, ref _maxTsnAck);
        while (ranges.MoveNext())
        {
            var r = ranges.Current;
            acked += flow.AcknowledgeRange(r.Start, r.End, ref _maxTsnAck);
        }
        flow.EndAcknowledgement(nowMs);
        Congestion.OnAcknowledgement(acked);
        return true;
    }

    private void QueuePingReply(ReadOnlySpan<byte> message)
    {
        int max = _options.MaxPacketSize - SendFlow.MaxPacketHeaderSize - PacketLimits.ChunkHeaderLength;
        if (_pingReplyCount >= MaxPendingPingReplies || message.Length > max)
        {
            return;
        }
        message.CopyTo(_pingReplies[_pingReplyCount]);
        _pingReplyLengths[_pingReplyCount] = message.Length;
        _pingReplyCount++;
    }

    private void OnPingReply(ReadOnlySpan<byte> echo, SocketAddress source, long nowMs)
    {
        if (echo.IsEmpty)
        {
            _keepaliveOutstanding = false;
            return;
        }
        if (echo.Length != MobilityPingLength || echo[0] != MobilityMarker || State != SessionState.Open)
        {
            return;
        }
        long ts = BinaryPrimitives.ReadInt64BigEndian(echo[1..]);
        if (nowMs - ts > MobilityLifetimeMs || ts <= _mobRxTs || ts > nowMs)
        {
            return;
        }
        Span<byte> expected = stackalloc byte[MobilityHashLength];
        ComputeMobilityHash(ts, source, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, echo.Slice(9, MobilityHashLength)))
        {
            return;
        }
        _mobRxTs = ts;
        if (!source.Equals(FarAddress))
        {
            FarAddress = SocketAddresses.Copy(source);
            _handler.OnAddressChanged(this, FarAddress);
        }
    }

    // hash('M' | MOB_TX_TS | address, MOB_SECRET), truncated (RFC 7016 §3.5.4.2).
    private void ComputeMobilityHash(long ts, SocketAddress address, Span<byte> destination)
    {
        var addr = address.Buffer.Span[..Math.Min(address.Size, _hashInput.Length - 9)];
        _hashInput[0] = MobilityMarker;
        BinaryPrimitives.WriteInt64BigEndian(_hashInput.AsSpan(1), ts);
        addr.CopyTo(_hashInput.AsSpan(9));
        Span<byte> full = stackalloc byte[32];
        HMACSHA256.HashData(_mobilitySecret, _hashInput.AsSpan(0, 9 + addr.Length), full);
        full[..destination.Length].CopyTo(destination);
    }

    // ---------------------------------------------------------------- send

    /// <summary>
    /// Builds the next plain packet to send, if any. <paramref name="to"/> is usually <see cref="FarAddress"/>,
    /// but a mobility check goes to the new address. The packet never exceeds <see cref="SessionOptions.MaxPacketSize"/>.
    /// </summary>
    public bool TryBuildPacket(Span<byte> destination, long nowMs, out int length, out SocketAddress to)
    {
        Tick(nowMs);
        length = 0;
        to = FarAddress;
        int mtu = Math.Min(destination.Length, _options.MaxPacketSize);
        var buffer = destination[..mtu];
        if (State == SessionState.Closed)
        {
            if (!_pendingCloseAck)
            {
                return false;
            }
            _pendingCloseAck = false;
            var w = StartPacket(buffer, nowMs);
            SessionCloseAcknowledgementChunk.Write(ref w);
            length = w.Position;
            return true;
        }
        if (_mobilityTarget is not null)
        {
            // The check goes alone to the new address.
            to = _mobilityTarget;
            _mobilityTarget = null;
            var w = StartPacket(buffer, nowMs);
            PingChunk.Write(ref w, new PingChunk(_mobilityPing));
            length = w.Position;
            return true;
        }
        var writer = StartPacket(buffer, nowMs);
        int headerLength = writer.Position;
        bool timeCritical = false;
        bool anyAck = false;
        bool anyData = false;
        if (_pendingCloseAck)
        {
            _pendingCloseAck = false;
            SessionCloseAcknowledgementChunk.Write(ref writer);
        }
        if (_pendingCloseRequest)
        {
            _pendingCloseRequest = false;
            SessionCloseRequestChunk.Write(ref writer);
        }
        while (_pingReplyCount > 0)
        {
            var chunk = new PingReplyChunk(_pingReplies[0].AsSpan(0, _pingReplyLengths[0]));
            if (chunk.Length > writer.Remaining)
            {
                break;
            }
            PingReplyChunk.Write(ref writer, chunk);
            _pingReplyCount--;
            (_pingReplies[0], _pingReplies[_pingReplyCount]) = (_pingReplies[_pingReplyCount], _pingReplies[0]);
            _pingReplyLengths[0] = _pingReplyLengths[_pingReplyCount];
        }
        if (State == SessionState.Open)
        {
            if (_keepaliveDue && writer.Remaining >= PacketLimits.ChunkHeaderLength)
            {
                _keepaliveDue = false;
                if (_keepaliveOutstanding)
                {
                    Rto.Backoff(); // §3.5.4.1: no reply within ERTO
                }
                _keepaliveOutstanding = true;
                _lastKeepaliveMs = nowMs;
                PingChunk.Write(ref writer, new PingChunk(default));
            }
            if (_ackNow)
            {
                anyAck = WriteAcks(ref writer, truncateFirst: writer.Position == headerLength);
            }
            foreach (var f in _sendOrder)
            {
                if (f.TakeProbeDue(nowMs, Rto.ErtoMs))
                {
                    var probe = new BufferProbeChunk(f.FlowId);
                    if (probe.Length <= writer.Remaining)
                    {
                        BufferProbeChunk.Write(ref writer, probe);
                    }
                }
            }
            anyData = WriteData(ref writer, nowMs, ref timeCritical);
            if ((anyData || anyAck) && HasAckReady())
            {
                WriteAcks(ref writer, truncateFirst: false);
            }
        }
        if (writer.Position == headerLength)
        {
            return false;
        }
        if (timeCritical)
        {
            buffer[0] |= (byte)PacketFlags.TimeCritical;
            Congestion.OnTimeCriticalSent(nowMs);
        }
        if (anyData)
        {
            Congestion.OnDataPacketSent();
            _timeoutAlarmMs = nowMs + Rto.ErtoMs;
        }
        length = writer.Position;
        return true;
    }

    private WireWriter StartPacket(Span<byte> buffer, long nowMs)
    {
        ushort? ts = Rto.TryGetTimestampToSend(nowMs, out ushort t) || _options.TimestampEveryPacket ? t : null;
        ushort? tse = State == SessionState.Open && _echo.TryGetEchoToSend(nowMs, out ushort e) ? e : null;
        bool tcr = _tracker?.OtherReceivedWithin(this, nowMs) ?? false;
        var header = new PacketHeader(NearMode, ts, tse, timeCritical: false, timeCriticalReverse: tcr);
        var writer = new WireWriter(buffer);
        header.Write(ref writer);
        return writer;
    }

    private bool HasAckReady()
    {
        foreach (var f in _recvOrder)
        {
            if (f.ShouldAck && f.State != RecvFlowState.Closed)
            {
                return true;
            }
        }
        return false;
    }

    // RFC 7016 §3.6.3.4.5–6: acknowledgements (with Flow Exception Reports for rejected flows).
    private bool WriteAcks(ref WireWriter writer, bool truncateFirst)
    {
        bool wrote = false;
        bool allWritten = true;
        foreach (var f in _recvOrder)
        {
            if (!f.ShouldAck || f.State == RecvFlowState.Closed)
            {
                continue;
            }
            var set = f.SequenceSet;
            if (set.IsEmpty || !set.TryGetCsn(out ulong cum))
            {
                f.ShouldAck = false;
                continue;
            }
            ulong blocks = f.BufferBlocksAvailable();
            var ranges = set.Ranges[1..];
            int exceptionLength = f.State == RecvFlowState.Rejected ? new FlowExceptionReportChunk(f.FlowId, f.ExceptionCode).Length : 0;
            int ackLength = AckEncoder.GetMostCompactLength(f.FlowId, blocks, cum, ranges, out _);
            if (exceptionLength + ackLength > writer.Remaining)
            {
                if (!(truncateFirst && !wrote))
                {
                    allWritten = false;
                    continue; // §3.6.3.4.2: piggybacked acks that don't fit wait for a later packet
                }
                while (ranges.Length > 0 && exceptionLength + AckEncoder.GetMostCompactLength(f.FlowId, blocks, cum, ranges, out _) > writer.Remaining)
                {
                    ranges = ranges[..^1];
                }
                if (exceptionLength + AckEncoder.GetMostCompactLength(f.FlowId, blocks, cum, ranges, out _) > writer.Remaining)
                {
                    allWritten = false;
                    continue;
                }
            }
            if (exceptionLength > 0)
            {
                FlowExceptionReportChunk.Write(ref writer, new FlowExceptionReportChunk(f.FlowId, f.ExceptionCode));
            }
            AckEncoder.WriteMostCompact(ref writer, f.FlowId, blocks, cum, ranges);
            f.ShouldAck = false;
            f.PrevRwnd = (long)Math.Min(blocks, long.MaxValue);
            wrote = true;
        }
        if (allWritten)
        {
            _ackNow = false;
            _rxDataPackets = 0;
            _delackAlarmMs = long.MaxValue;
        }
        return wrote;
    }

    // RFC 7016 §3.6.2.3: fragments of ready flows, highest priority first, round-robin among equals.
    private bool WriteData(ref WireWriter writer, long nowMs, ref bool timeCritical)
    {
        bool wrote = false;
        int n = _sendOrder.Count;
        if (n == 0)
        {
            return false;
        }
        while (Congestion.CanSend(OutstandingBytes))
        {
            SendFlow? best = null;
            int bestIndex = -1;
            for (int k = 0; k < n; k++)
            {
                int i = (_roundRobin + k) % n;
                var f = _sendOrder[i];
                if (f.State == SendFlowState.Closed || f.State == SendFlowState.CompleteLinger || (best is not null && f.Priority <= best.Priority))
                {
                    continue;
                }
                f.PrepareForwardSequenceNumber();
                if (f.WindowAllows && f.FindEligible() >= 0)
                {
                    best = f;
                    bestIndex = i;
                }
            }
            if (best is null)
            {
                break;
            }
            _roundRobin = (bestIndex + 1) % n;
            int written = WriteFlowFragments(ref writer, best, ref timeCritical);
            if (written == 0)
            {
                break; // packet full
            }
            wrote = true;
        }
        return wrote;
    }

    private int WriteFlowFragments(ref WireWriter writer, SendFlow flow, ref bool timeCritical)
    {
        ulong fsn = flow.PrepareForwardSequenceNumber();
        int count = 0;
        ulong prevSn = 0;
        bool optionsWritten = false;
        while (flow.WindowAllows && Congestion.CanSend(OutstandingBytes))
        {
            int index = flow.FindEligible();
            if (index < 0)
            {
                break;
            }
            ref var frag = ref flow.Fragment(index);
            var flags = UserDataFlagBits.Create(frag.Fra, frag.Abandoned, frag.SequenceNumber == flow.FinalSequenceNumber);
            var data = frag.Abandoned ? ReadOnlySpan<byte>.Empty : frag.Data.Span;
            ReadOnlySpan<byte> options = flow.StartupOptionsPending && !optionsWritten ? flow.StartupOptions : default;
            int size;
            if (count > 0 && frag.SequenceNumber == prevSn + 1 && options.IsEmpty)
            {
                var next = new NextUserDataChunk(flags, default, data);
                size = next.Length;
                if (size > writer.Remaining)
                {
                    break;
                }
                NextUserDataChunk.Write(ref writer, next);
            }
            else
            {
                var chunk = new UserDataChunk(flags, flow.FlowId, frag.SequenceNumber, frag.SequenceNumber - fsn, options, data);
                size = chunk.Length;
                if (size > writer.Remaining)
                {
                    break;
                }
                UserDataChunk.Write(ref writer, chunk);
                optionsWritten |= !options.IsEmpty;
            }
            if (flow.MarkSent(index, size, _nextTsn++))
            {
                Retransmissions++;
            }
            prevSn = frag.SequenceNumber;
            count++;
            if (flow.TimeCritical)
            {
                timeCritical = true;
            }
        }
        return count;
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
