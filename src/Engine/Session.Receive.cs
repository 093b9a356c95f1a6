using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine;

/// <summary>Incoming packets: one handler per chunk type (RFC 7016 §2.3), address mobility (§3.5.4.2).</summary>
public sealed partial class Session
{
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
}
