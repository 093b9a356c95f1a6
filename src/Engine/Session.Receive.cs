using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine;

/// <summary>Incoming packets: one handler per chunk type (RFC 7016 §2.3), address mobility (§3.5.4.2).</summary>
public sealed partial class Session
{
    /// <summary>
    /// What the chunks of one packet leave for its end (acknowledgement processing, delayed ack), and the
    /// User Data chunk that a Next User Data chunk continues (RFC 7016 §2.3.12). Lives on the stack.
    /// </summary>
    private struct PacketProgress
    {
        public bool AnyUserData;
        public bool AnyAck;
        /// <summary>Flow of the previous (Next) User Data chunk; null when it was ignored or absent.</summary>
        public RecvFlow? UserDataFlow;
        public ulong SequenceNumber;
        public ulong ForwardSequenceNumber;
    }

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
        _ackCredit = Math.Min(_ackCredit + (long)AckCreditPerByteReceived * packet.Length, 4L * _options.MaxPacketSize);
        OnPacketHeader(header, nowMs);
        Congestion.BeginPacket(OutstandingBytes);
        var progress = new PacketProgress();
        foreach (var chunk in chunks)
        {
            if (ChunkTypes.IsAllowedInMode(chunk.Type, header.Mode) && !OnChunk(chunk, source, ref progress, nowMs))
            {
                return;
            }
        }
        if (State != SessionState.Open)
        {
            return;
        }
        if (progress.AnyAck)
        {
            OnAcknowledgementsProcessed(nowMs);
        }
        Congestion.EndPacket(nowMs);
        if (progress.AnyUserData)
        {
            ScheduleAcknowledgement(nowMs);
        }
        // RFC 7016 §3.5.4.2: a packet from somewhere else triggers a mobility check of that address.
        if (!source.Equals(FarAddress) && nowMs - _mobTxTs >= MobilityCheckIntervalMs)
        {
            StartMobilityCheck(source, nowMs);
        }
    }

    // RFC 7016 §2.2.4: timestamp, timestamp echo and the time critical flags.
    private void OnPacketHeader(in PacketHeader header, long nowMs)
    {
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
    }

    /// <summary>Hands one chunk to its handler; false when the session ended and the rest of the packet is dropped.</summary>
    private bool OnChunk(Chunk chunk, SocketAddress source, ref PacketProgress progress, long nowMs)
    {
        var payload = chunk.Payload;
        switch (chunk.Type)
        {
            case ChunkType.Ping:
                OnPing(payload);
                break;
            case ChunkType.PingReply:
                OnPingReply(payload, source, nowMs);
                break;
            case ChunkType.UserData:
                OnUserData(payload, ref progress, nowMs);
                break;
            case ChunkType.NextUserData:
                OnNextUserData(payload, ref progress, nowMs);
                break;
            case ChunkType.DataAcknowledgementRanges:
                progress.AnyAck |= OnDataAcknowledgementRanges(payload, nowMs);
                break;
            case ChunkType.DataAcknowledgementBitmap:
                progress.AnyAck |= OnDataAcknowledgementBitmap(payload, nowMs);
                break;
            case ChunkType.BufferProbe:
                OnBufferProbe(payload);
                break;
            case ChunkType.FlowExceptionReport:
                OnFlowExceptionReport(payload);
                break;
            case ChunkType.SessionCloseRequest:
                OnSessionCloseRequest(nowMs);
                break;
            case ChunkType.SessionCloseAcknowledgement:
                OnSessionCloseAcknowledgement();
                return false;
            default:
                _handler.OnOtherChunk(this, (byte)chunk.Type, payload);
                break;
        }
        return true;
    }

    // RFC 7016 §2.3.9: echo the message in a Ping Reply.
    private void OnPing(ReadOnlySpan<byte> payload)
    {
        if (State == SessionState.Open && PingChunk.TryRead(payload, out var ping))
        {
            QueuePingReply(ping.Message);
        }
    }

    // RFC 7016 §2.3.11: starts a run that Next User Data chunks continue.
    private void OnUserData(ReadOnlySpan<byte> payload, ref PacketProgress progress, long nowMs)
    {
        if (State != SessionState.Open || !UserDataChunk.TryRead(payload, out var ud))
        {
            progress.UserDataFlow = null;
            return;
        }
        progress.AnyUserData = true;
        progress.UserDataFlow = ReceiveFragment(ud.FlowId, ud.SequenceNumber, ud.ForwardSequenceNumber, ud.Flags, ud.Options, ud.UserData, null, nowMs);
        progress.SequenceNumber = ud.SequenceNumber;
        progress.ForwardSequenceNumber = ud.ForwardSequenceNumber;
    }

    // RFC 7016 §2.3.12: the next sequence number of the previous chunk's flow, same forward sequence number.
    private void OnNextUserData(ReadOnlySpan<byte> payload, ref PacketProgress progress, long nowMs)
    {
        if (State == SessionState.Open && progress.UserDataFlow is { } flow && NextUserDataChunk.TryRead(payload, out var nud))
        {
            progress.AnyUserData = true;
            progress.SequenceNumber++;
            progress.UserDataFlow = ReceiveFragment(flow.FlowId, progress.SequenceNumber, progress.ForwardSequenceNumber,
                nud.Flags, nud.Options, nud.UserData, flow, nowMs);
        }
    }

    // RFC 7016 §2.3.14
    private bool OnDataAcknowledgementRanges(ReadOnlySpan<byte> payload, long nowMs) =>
        State == SessionState.Open && DataAckRangesChunk.TryRead(payload, out var ack)
        && OnAck(ack.FlowId, ack.BufferBlocksAvailable, ack.CumulativeAck, ack.GetRanges(), nowMs);

    // RFC 7016 §2.3.13
    private bool OnDataAcknowledgementBitmap(ReadOnlySpan<byte> payload, long nowMs) =>
        State == SessionState.Open && DataAckBitmapChunk.TryRead(payload, out var ack)
        && OnAck(ack.FlowId, ack.BufferBlocksAvailable, ack.CumulativeAck, ack.GetRanges(), nowMs);

    // RFC 7016 §2.3.15: answer with an acknowledgement of the probed flow.
    private void OnBufferProbe(ReadOnlySpan<byte> payload)
    {
        if (State == SessionState.Open && BufferProbeChunk.TryRead(payload, out var probe)
            && _recvFlows.TryGetValue(probe.FlowId, out var probed) && probed.State != RecvFlowState.Closed)
        {
            probed.OnBufferProbe();
            _ackNow = true;
        }
    }

    // RFC 7016 §2.3.16: the far end rejected one of our sending flows.
    private void OnFlowExceptionReport(ReadOnlySpan<byte> payload)
    {
        if (State == SessionState.Open && FlowExceptionReportChunk.TryRead(payload, out var fer)
            && _sendFlows.TryGetValue(fer.FlowId, out var rejected) && rejected.OnException(fer.Exception))
        {
            _handler.OnFlowException(this, rejected, fer.Exception);
        }
    }

    // RFC 7016 §2.3.17, §3.5.5: acknowledge, and from S_OPEN linger in S_FARCLOSE_LINGER.
    private void OnSessionCloseRequest(long nowMs)
    {
        _pendingCloseAck = true;
        if (State == SessionState.Open)
        {
            LeaveOpen(SessionCloseCause.FarClose);
            AbortFlows();
            _stateDeadlineMs = nowMs + FarCloseLingerMs;
            SetState(SessionState.FarCloseLinger);
        }
    }

    // RFC 7016 §2.3.18, §3.5.5: the session is closed.
    private void OnSessionCloseAcknowledgement()
    {
        if (State == SessionState.Open)
        {
            LeaveOpen(SessionCloseCause.FarAbort);
        }
        AbortFlows();
        SetState(SessionState.Closed);
    }

    // RFC 7016 §3.6.2.5 negative acknowledgements, §3.6.2.6 timeout alarm reset.
    private void OnAcknowledgementsProcessed(long nowMs)
    {
        foreach (var f in _sendOrder)
        {
            f.ApplyNegativeAcknowledgements(_maxTsnAck, Congestion);
        }
        if (_timeoutAlarmMs != long.MaxValue)
        {
            _timeoutAlarmMs = nowMs + Rto.ErtoMs;
        }
    }

    // RFC 7016 §3.6.3.4.4: acknowledge every second packet with user data at once, others after DelayedAckMs.
    private void ScheduleAcknowledgement(long nowMs)
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

    // RFC 7016 §3.5.4.2: a Ping to the new address carrying a keyed hash of it; its Ping Reply moves DESTADDR.
    private void StartMobilityCheck(SocketAddress source, long nowMs)
    {
        _mobTxTs = nowMs;
        _mobilityTarget = SocketAddresses.Copy(source);
        _mobilityPing ??= new byte[MobilityPingLength];
        _mobilityPing[0] = MobilityMarker;
        BinaryPrimitives.WriteInt64BigEndian(_mobilityPing.AsSpan(1), nowMs);
        ComputeMobilityHash(nowMs, source, _mobilityPing.AsSpan(9, MobilityHashLength));
    }

    /// <summary>One User Data or Next User Data fragment; returns its flow, or null when the chunk is ignored.</summary>
    private RecvFlow? ReceiveFragment(ulong flowId, ulong sn, ulong fsn, UserDataFlags flags, ReadOnlySpan<byte> options,
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
        var flow = new RecvFlow(flowId, hasMetadata ? options.Metadata.ToArray() : [], assocId, association, this,
            _receiveBudget, _options.MaxMessageSize);
        AddRecvFlow(flow);
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
        int max = _options.MaxPacketSize - PacketLimits.MaxPacketHeaderLength - PacketLimits.ChunkHeaderLength;
        if (_pingReplyCount >= MaxPendingPingReplies || message.Length > max)
        {
            return;
        }
        _pingReplies ??= new byte[MaxPendingPingReplies][];
        _pingReplyLengths ??= new int[MaxPendingPingReplies];
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(message.Length, 1));
        message.CopyTo(buffer);
        _pingReplies[_pingReplyCount] = buffer;
        _pingReplyLengths[_pingReplyCount] = message.Length;
        _pingReplyCount++;
    }

    /// <summary>Gives the pooled buffers of unsent ping replies back (the session closed).</summary>
    private void ReturnPingReplies()
    {
        for (int i = 0; i < _pingReplyCount; i++)
        {
            ArrayPool<byte>.Shared.Return(_pingReplies![i]);
            _pingReplies[i] = null!;
        }
        _pingReplyCount = 0;
    }

    // RFC 7016 §2.3.10: an empty echo answers our keepalive (§3.5.4.1), a mobility echo confirms an address (§3.5.4.2).
    private void OnPingReply(ReadOnlySpan<byte> payload, SocketAddress source, long nowMs)
    {
        if (!PingChunk.TryRead(payload, out var reply))
        {
            return;
        }
        var echo = reply.Message;
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
        Span<byte> hashInput = stackalloc byte[1 + 8 + 128];
        var addr = address.Buffer.Span[..Math.Min(address.Size, hashInput.Length - 9)];
        hashInput[0] = MobilityMarker;
        BinaryPrimitives.WriteInt64BigEndian(hashInput[1..], ts);
        addr.CopyTo(hashInput[9..]);
        Span<byte> full = stackalloc byte[32];
        HMACSHA256.HashData(_mobilitySecret, hashInput[..(9 + addr.Length)], full);
        full[..destination.Length].CopyTo(destination);
    }
}
