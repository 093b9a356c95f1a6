using System.Buffers;
using System.Net;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine;

/// <summary>Outgoing packets: control chunks, acknowledgements (RFC 7016 §3.6.3.4) and user data (§3.6.2.3).</summary>
public sealed partial class Session
{
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
            return TryBuildFinalCloseAcknowledgement(buffer, nowMs, out length);
        }
        if (_mobilityTarget is not null)
        {
            // The check goes alone to the new address.
            to = _mobilityTarget;
            _mobilityTarget = null;
            var w = StartPacket(buffer, nowMs);
            PingChunk.Write(ref w, new PingChunk(_mobilityPing!));
            length = w.Position;
            return true;
        }
        var writer = StartPacket(buffer, nowMs);
        int headerLength = writer.Position;
        bool timeCritical = false;
        bool anyData = false;
        WriteCloseChunks(ref writer);
        WritePingReplies(ref writer);
        if (State == SessionState.Open)
        {
            WriteKeepalive(ref writer, nowMs);
            bool anyAck = _ackNow && WriteAcks(ref writer, truncateFirst: writer.Position == headerLength);
            WriteBufferProbes(ref writer, nowMs);
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

    // RFC 7016 §3.5.5: in S_CLOSED, only the Close Acknowledgement still owed.
    private bool TryBuildFinalCloseAcknowledgement(Span<byte> buffer, long nowMs, out int length)
    {
        length = 0;
        if (!_pendingCloseAck)
        {
            return false;
        }
        _pendingCloseAck = false;
        var w = StartPacket(buffer, nowMs);
        SessionCloseChunk.WriteAcknowledgement(ref w);
        length = w.Position;
        return true;
    }

    // RFC 7016 §2.3.17–§2.3.18, §3.5.5
    private void WriteCloseChunks(ref WireWriter writer)
    {
        if (_pendingCloseAck)
        {
            _pendingCloseAck = false;
            SessionCloseChunk.WriteAcknowledgement(ref writer);
        }
        if (_pendingCloseRequest)
        {
            _pendingCloseRequest = false;
            SessionCloseChunk.WriteRequest(ref writer);
        }
    }

    // RFC 7016 §2.3.10: the queued replies that fit, oldest first.
    private void WritePingReplies(ref WireWriter writer)
    {
        while (_pingReplyCount > 0)
        {
            var replies = _pingReplies!;
            var chunk = new PingChunk(replies[0].AsSpan(0, _pingReplyLengths![0]));
            if (chunk.Length > writer.Remaining)
            {
                break;
            }
            PingChunk.WriteReply(ref writer, chunk);
            ArrayPool<byte>.Shared.Return(replies[0]);
            _pingReplyCount--;
            // Oldest first: the others move up one.
            Array.Copy(replies, 1, replies, 0, _pingReplyCount);
            Array.Copy(_pingReplyLengths, 1, _pingReplyLengths, 0, _pingReplyCount);
            replies[_pingReplyCount] = null!;
        }
        if (_pingReplyCount == 0 && _pingReplies is not null)
        {
            // Pings are rare (keepalives, address checks): an idle session keeps no reply slots between them (issue 9).
            _pingReplies = null;
            _pingReplyLengths = null;
        }
    }

    // RFC 7016 §3.5.4.1: an empty Ping when the far end has been quiet.
    private void WriteKeepalive(ref WireWriter writer, long nowMs)
    {
        if (!_keepaliveDue || writer.Remaining < PacketLimits.ChunkHeaderLength)
        {
            return;
        }
        _keepaliveDue = false;
        if (_keepaliveOutstanding)
        {
            Rto.Backoff(); // §3.5.4.1: no reply within ERTO
        }
        _keepaliveOutstanding = true;
        _lastKeepaliveMs = nowMs;
        PingChunk.Write(ref writer, new PingChunk(default));
    }

    // RFC 7016 §2.3.15: probes for flows whose far end advertised no buffer.
    private void WriteBufferProbes(ref WireWriter writer, long nowMs)
    {
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
        if (_ackCredit <= 0)
        {
            return false;
        }
        foreach (var f in _recvOrder)
        {
            if (f.ShouldAck && f.State != RecvFlowState.Closed)
            {
                return true;
            }
        }
        return false;
    }

    // RFC 7016 §3.6.3.4.5–6: acknowledgements (with Flow Exception Reports for rejected flows). What they may
    // cost is bounded by the credit the far end's packets earned (AckCreditPerByteReceived): a packet cannot
    // draw more than a small multiple of its size, nor make us encode more than that (§3.6.3.4.2 truncation).
    private bool WriteAcks(ref WireWriter writer, bool truncateFirst)
    {
        bool wrote = false;
        bool allWritten = true;
        bool starved = false;
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
            int room = (int)Math.Min(writer.Remaining, _ackCredit);
            ulong blocks = f.BufferBlocksAvailable();
            var ranges = set.Ranges[1..];
            if (f.AcknowledgeDeliveredOnly)
            {
                cum = f.AcknowledgeableThrough(cum);
                ranges = ranges[..0];
            }
            if (ranges.Length > MaxAckRanges)
            {
                ranges = ranges[..MaxAckRanges]; // §3.6.3.4.2: the rest read as not yet received
            }
            int exceptionLength = f.State == RecvFlowState.Rejected ? new FlowExceptionReportChunk(f.FlowId, f.ExceptionCode).Length : 0;
            int ackLength = AckEncoder.GetMostCompactLength(f.FlowId, blocks, cum, ranges, out _);
            if (exceptionLength + ackLength > room)
            {
                bool creditBound = _ackCredit < writer.Remaining;
                if (!creditBound && !(truncateFirst && !wrote))
                {
                    allWritten = false;
                    continue; // §3.6.3.4.2: piggybacked acks that don't fit wait for a later packet
                }
                int fit = AckEncoder.FitRanges(f.FlowId, blocks, cum, ranges, room - exceptionLength);
                if (fit < 0)
                {
                    allWritten = false;
                    starved |= creditBound;
                    if (creditBound)
                    {
                        break; // no credit left: the rest waits for the far end's next packet
                    }
                    continue;
                }
                ranges = ranges[..fit];
                ackLength = AckEncoder.GetMostCompactLength(f.FlowId, blocks, cum, ranges, out _);
            }
            if (exceptionLength > 0)
            {
                FlowExceptionReportChunk.Write(ref writer, new FlowExceptionReportChunk(f.FlowId, f.ExceptionCode));
            }
            AckEncoder.WriteMostCompact(ref writer, f.FlowId, blocks, cum, ranges);
            _ackCredit -= exceptionLength + ackLength;
            f.ShouldAck = false;
            f.PrevRwnd = (long)Math.Min(blocks, long.MaxValue);
            wrote = true;
        }
        if (allWritten || starved)
        {
            // Starved: what is left goes out when the far end sends again (its next packet earns credit).
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
            int written = WriteFlowFragments(ref writer, best, ref timeCritical);
            if (written == 0)
            {
                break; // packet full: this flow keeps its turn for the next packet
            }
            _roundRobin = (bestIndex + 1) % n;
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
}
