using Rtmfp.Shared.Wire;
using System.Buffers;

namespace Rtmfp.Engine;

/// <summary>
/// A receiving flow (RFC 7016 §3.6.3): SEQUENCE_SET, reassembly buffer, delivery in original queuing
/// order or network arrival order, receive window advertisement, rejection and completion.
/// Fragments are copied into pooled arrays; a whole message arriving in order is delivered straight
/// from the packet without copying.
/// </summary>
public sealed class RecvFlow
{
    public const long CompleteLingerMs = 120_000;
    public const long DefaultBufferCapacity = 65536;
    public const int BlockSize = 1024;

    private struct Entry
    {
        public ulong SequenceNumber;
        public FragmentControl Fra;
        public byte[]? Buffer;
        public int Length;
    }

    private readonly IRecvFlowSink _sink;
    private readonly List<Entry> _buffer = new();
    private ulong _finalSn;
    private bool _hasFinalSn;
    private bool _suspended;
    private bool _completeNotified;
    private long _lingerUntilMs;

    internal RecvFlow(ulong flowId, byte[] metadata, ulong? returnAssociation, SendFlow? association, IRecvFlowSink sink)
    {
        FlowId = flowId;
        Metadata = metadata;
        ReturnAssociation = returnAssociation;
        Association = association;
        _sink = sink;
    }

    public ulong FlowId { get; }
    /// <summary>User's Per-Flow Metadata (RFC 7016 §2.3.11.1.1); empty if none was sent (such a flow is rejected).</summary>
    public ReadOnlyMemory<byte> Metadata { get; }
    /// <summary>The Return Flow Association as sent (one of our sending flow IDs), if any.</summary>
    public ulong? ReturnAssociation { get; }
    /// <summary>Our sending flow named by the association, if it exists.</summary>
    public SendFlow? Association { get; }
    public RecvFlowState State { get; private set; }
    /// <summary>BUFFER_CAPACITY in bytes; set by the host when notified of the new flow.</summary>
    public long BufferCapacity { get; set; } = DefaultBufferCapacity;
    /// <summary>Deliver each message as soon as it is complete (RFC 7425 RXI = 1) instead of in queuing order.</summary>
    public bool DeliverInArrivalOrder { get; set; }
    public ulong ExceptionCode { get; private set; }
    /// <summary>BUFFERED_SIZE: bytes held for reassembly or ordering.</summary>
    public long BufferedSize { get; private set; }
    public bool IsDeliverySuspended => _suspended;
    /// <summary>Opaque host state.</summary>
    public object? Tag { get; set; }

    internal SequenceSet SequenceSet { get; } = new();
    internal bool ShouldAck { get; set; }
    /// <summary>PREV_RWND in blocks, -1 = no value.</summary>
    internal long PrevRwnd { get; set; } = -1;

    /// <summary>Rejects the flow (RFC 7016 §3.6.3.7); the far end gets a Flow Exception Report with every ack.</summary>
    public void Reject(ulong exceptionCode)
    {
        if (State != RecvFlowState.Open)
        {
            return;
        }
        State = RecvFlowState.Rejected;
        ExceptionCode = exceptionCode;
        ClearBuffer();
        ShouldAck = true;
        _sink.RequestAcknowledgement(this);
    }

    /// <summary>Holds complete messages until <see cref="ResumeDelivery"/> (RFC 7016 §3.6.3.3).</summary>
    public void SuspendDelivery() => _suspended = true;

    public void ResumeDelivery()
    {
        if (!_suspended)
        {
            return;
        }
        _suspended = false;
        Deliver();
        if (State == RecvFlowState.CompleteLinger && !_completeNotified && _buffer.Count == 0)
        {
            _completeNotified = true;
            _sink.OnFlowComplete(this);
        }
        ShouldAck = true; // the window reopened: tell the sender
        _sink.RequestAcknowledgement(this);
    }

    /// <summary>bufferBlocksAvailable for the next acknowledgement (RFC 7016 §3.6.3.5).</summary>
    internal ulong BufferBlocksAvailable()
    {
        long bytes = BufferedSize >= BufferCapacity ? 0 : BufferCapacity - BufferedSize;
        long blocks = (bytes + BlockSize - 1) / BlockSize;
        if (blocks == 0 && BufferCapacity > 0 && !_suspended)
        {
            blocks = 1;
        }
        return (ulong)blocks;
    }

    /// <summary>
    /// Processes one User Data or Next User Data fragment (RFC 7016 §3.6.3.2 steps 3–16).
    /// Returns true if the session's ACK_NOW must be set.
    /// </summary>
    internal bool OnUserData(ulong sn, ulong fsn, FragmentControl fra, bool abandon, bool final, ReadOnlySpan<byte> data, bool unknownMandatoryOption, long nowMs)
    {
        ShouldAck = true;
        if (State == RecvFlowState.Open && unknownMandatoryOption)
        {
            Reject(0);
        }
        bool ackNow = State != RecvFlowState.Open
            || (PrevRwnd >= 0 && PrevRwnd < 2)
            || abandon
            || SequenceSet.HasGaps;
        bool duplicate = SequenceSet.Contains(sn);
        if (duplicate)
        {
            ackNow = true;
        }
        else if (final && !_hasFinalSn)
        {
            _finalSn = sn;
            _hasFinalSn = true;
            ackNow = true;
        }
        if (fsn > sn)
        {
            fsn = sn; // a reader should have refused this; never acknowledge beyond what was sent
        }
        // Numbers newly covered by the FSN were abandoned by the sender: a gap for the user (§3.6.1.2).
        // An abandoned chunk's own number is excluded (a flow's close marker is abandoned too).
        ulong coveredEnd = abandon && fsn == sn ? fsn - 1 : fsn;
        bool gap = fsn > 0 && coveredEnd > 0 && !SequenceSet.ContainsAll(1, coveredEnd);
        // Record the sequence numbers first: a refusal (range bound) means we neither store nor acknowledge.
        SequenceSet.Add(0, fsn);
        bool recorded = duplicate || SequenceSet.Add(sn);
        if (recorded && !duplicate && State == RecvFlowState.Open && !abandon)
        {
            Store(sn, fra, data);
        }
        if (SequenceSet.HasGaps)
        {
            ackNow = true;
        }
        if (State == RecvFlowState.Open)
        {
            if (gap)
            {
                _sink.OnMessagesLost(this);
            }
            Deliver();
        }
        if (BufferCapacity < BufferedSize + BlockSize)
        {
            ackNow = true;
        }
        if (CheckComplete(nowMs))
        {
            ackNow = true;
        }
        return ackNow;
    }

    /// <summary>Buffer Probe received (RFC 7016 §3.6.3.6).</summary>
    internal void OnBufferProbe() => ShouldAck = true;

    private void Store(ulong sn, FragmentControl fra, ReadOnlySpan<byte> data)
    {
        // Fast path: a whole message at the cumulative point with nothing held is delivered without copying.
        if (fra == FragmentControl.Whole && !_suspended
            && (DeliverInArrivalOrder || (_buffer.Count == 0 && SequenceSet.TryGetCsn(out ulong csn) && csn >= sn)))
        {
            _sink.OnMessage(this, data);
            return;
        }
        byte[] copy = ArrayPool<byte>.Shared.Rent(Math.Max(data.Length, 1));
        data.CopyTo(copy);
        var entry = new Entry { SequenceNumber = sn, Fra = fra, Buffer = copy, Length = data.Length };
        int n = _buffer.Count;
        int at;
        if (n == 0 || _buffer[n - 1].SequenceNumber < sn)
        {
            at = n;
        }
        else
        {
            at = FindIndex(sn);
        }
        _buffer.Insert(at, entry);
        BufferedSize += data.Length;
        if (DeliverInArrivalOrder && !_suspended)
        {
            TryDeliverSegmentAround(at);
        }
    }

    // First index whose SequenceNumber >= sn.
    private int FindIndex(ulong sn)
    {
        int lo = 0;
        int hi = _buffer.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_buffer[mid].SequenceNumber < sn)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    // Network arrival order: deliver the message containing index i if all its fragments are present.
    private void TryDeliverSegmentAround(int i)
    {
        int first = i;
        while (_buffer[first].Fra is FragmentControl.Middle or FragmentControl.End)
        {
            if (first == 0 || _buffer[first - 1].SequenceNumber != _buffer[first].SequenceNumber - 1)
            {
                return;
            }
            first--;
        }
        if (_buffer[first].Fra != FragmentControl.Begin && _buffer[first].Fra != FragmentControl.Whole)
        {
            return;
        }
        int last = i;
        while (_buffer[last].Fra is FragmentControl.Begin or FragmentControl.Middle)
        {
            if (last + 1 >= _buffer.Count || _buffer[last + 1].SequenceNumber != _buffer[last].SequenceNumber + 1
                || _buffer[last + 1].Fra is FragmentControl.Begin or FragmentControl.Whole)
            {
                return;
            }
            last++;
        }
        DeliverAndRemove(first, last);
    }

    /// <summary>Original-order delivery and discarding of abandoned segments (RFC 7016 §3.6.3.3).</summary>
    private void Deliver()
    {
        if (_suspended || !SequenceSet.TryGetCsn(out ulong csn))
        {
            return;
        }
        while (_buffer.Count > 0 && _buffer[0].SequenceNumber <= csn)
        {
            var entry = _buffer[0];
            if (entry.Fra == FragmentControl.Whole)
            {
                DeliverAndRemove(0, 0);
                continue;
            }
            if (entry.Fra is FragmentControl.End or FragmentControl.Middle)
            {
                RemoveRange(0, 1);
                _sink.OnMessagesLost(this);
                continue;
            }
            // Begin: find the last entry of this contiguous segment.
            int last = 0;
            while (last + 1 < _buffer.Count
                && _buffer[last + 1].SequenceNumber == _buffer[last].SequenceNumber + 1
                && _buffer[last + 1].Fra is FragmentControl.Middle or FragmentControl.End)
            {
                last++;
                if (_buffer[last].Fra == FragmentControl.End)
                {
                    break;
                }
            }
            if (_buffer[last].Fra == FragmentControl.End)
            {
                DeliverAndRemove(0, last);
            }
            else if (_buffer[last].SequenceNumber < csn)
            {
                RemoveRange(0, last + 1);
                _sink.OnMessagesLost(this);
            }
            else
            {
                break; // in progress
            }
        }
    }

    private void DeliverAndRemove(int first, int last)
    {
        if (first == last)
        {
            var e = _buffer[first];
            _sink.OnMessage(this, e.Buffer.AsSpan(0, e.Length));
            RemoveRange(first, 1);
            return;
        }
        int total = 0;
        for (int i = first; i <= last; i++)
        {
            total += _buffer[i].Length;
        }
        byte[] message = ArrayPool<byte>.Shared.Rent(Math.Max(total, 1));
        int offset = 0;
        for (int i = first; i <= last; i++)
        {
            var e = _buffer[i];
            e.Buffer.AsSpan(0, e.Length).CopyTo(message.AsSpan(offset));
            offset += e.Length;
        }
        RemoveRange(first, last - first + 1);
        try
        {
            _sink.OnMessage(this, message.AsSpan(0, total));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(message);
        }
    }

    private void RemoveRange(int index, int count)
    {
        for (int i = index; i < index + count; i++)
        {
            var e = _buffer[i];
            BufferedSize -= e.Length;
            if (e.Buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(e.Buffer);
            }
        }
        _buffer.RemoveRange(index, count);
    }

    private void ClearBuffer() => RemoveRange(0, _buffer.Count);

    /// <summary>§3.6.3.8: complete when 0..RF_FINAL_SN are all seen. True on the transition.</summary>
    private bool CheckComplete(long nowMs)
    {
        bool transitioned = false;
        if (_hasFinalSn && State is RecvFlowState.Open or RecvFlowState.Rejected && SequenceSet.ContainsAll(0, _finalSn))
        {
            State = RecvFlowState.CompleteLinger;
            _lingerUntilMs = nowMs + CompleteLingerMs;
            ShouldAck = true;
            transitioned = true;
        }
        if (State == RecvFlowState.CompleteLinger && !_completeNotified && _buffer.Count == 0)
        {
            _completeNotified = true;
            _sink.OnFlowComplete(this);
        }
        return transitioned;
    }

    internal long LingerUntilMs => State == RecvFlowState.CompleteLinger ? _lingerUntilMs : long.MaxValue;

    /// <summary>RF_COMPLETE_LINGER → RF_CLOSED after 120 s. True when closed.</summary>
    internal bool CheckLinger(long nowMs)
    {
        if (State == RecvFlowState.CompleteLinger && nowMs >= _lingerUntilMs)
        {
            State = RecvFlowState.Closed;
            ClearBuffer();
        }
        return State == RecvFlowState.Closed;
    }

    /// <summary>Session left S_OPEN: the flow is aborted.</summary>
    internal void Abort()
    {
        ClearBuffer();
        State = RecvFlowState.Closed;
    }
}
