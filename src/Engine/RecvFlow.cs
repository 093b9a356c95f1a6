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
    /// <summary>What each held fragment costs beyond its data (bookkeeping), so that empty fragments are not free.</summary>
    public const int EntryOverhead = 64;
    /// <summary>Fragments held beyond the first gap at most, whatever their size.</summary>
    public const int MaxAheadFragments = 2048;

    private struct Entry
    {
        public ulong SequenceNumber;
        public FragmentControl Fra;
        public byte[]? Buffer;
        public int Length;
    }

    private readonly IRecvFlowSink _sink;
    private readonly ReceiveBudget _budget;
    private readonly long _maxMessageSize;
    // The contiguous prefix (sequence numbers up to CSN) still held: the message in progress, or everything
    // while delivery is suspended. Ascending and gap-free in sequence numbers except where numbers were abandoned.
    private readonly RingBuffer<Entry> _head = new();
    // Fragments beyond the first gap, ascending; live from _aheadStart on.
    private readonly List<Entry> _ahead = new();
    private int _aheadStart;
    // Fragments at the front of _head known to be the Begin and Middles of one message, and their data bytes.
    private int _headScan;
    private long _headSize;
    // Arrival order: the run of _ahead last scanned, a Begin at _runFirstSn and Middles through _runLastSn.
    private bool _runValid;
    private ulong _runFirstSn;
    private ulong _runLastSn;
    private ulong _finalSn;
    private bool _hasFinalSn;
    private bool _suspended;
    private bool _completeNotified;
    private long _lingerUntilMs;

    internal RecvFlow(ulong flowId, byte[] metadata, ulong? returnAssociation, SendFlow? association, IRecvFlowSink sink,
        ReceiveBudget? budget = null, long maxMessageSize = SessionOptions.DefaultMaxMessageSize)
    {
        _budget = budget ?? new ReceiveBudget(long.MaxValue);
        _maxMessageSize = maxMessageSize;
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
    /// <summary>BUFFERED_SIZE: data bytes held for reassembly or ordering (the session budget also counts <see cref="EntryOverhead"/> per fragment).</summary>
    public long BufferedSize { get; private set; }
    public bool IsDeliverySuspended => _suspended;
    /// <summary>Opaque host state.</summary>
    public object? Tag { get; set; }

    internal SequenceSet SequenceSet { get; } = new();
    /// <summary>Fragments examined by reassembly scans (a deterministic measure of its cost, for tests).</summary>
    internal long ScanSteps { get; private set; }
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
        if (State == RecvFlowState.CompleteLinger && !_completeNotified && HeldCount == 0)
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
        long sessionFree = _budget.Limit - _budget.Used;
        bytes = Math.Min(bytes, Math.Max(sessionFree, 0)); // what is really free: the session's budget too
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
        if (fsn > sn)
        {
            fsn = sn; // a reader should have refused this; never acknowledge beyond what was sent
        }
        // Numbers newly covered by the FSN were abandoned by the sender: a gap for the user (§3.6.1.2).
        // An abandoned chunk's own number is excluded (a flow's close marker is abandoned too).
        ulong coveredEnd = abandon && fsn == sn ? fsn - 1 : fsn;
        bool gap = fsn > 0 && coveredEnd > 0 && !SequenceSet.ContainsAll(1, coveredEnd);
        SequenceSet.Add(0, fsn);
        MoveReachedToHead();
        bool store = !duplicate && State == RecvFlowState.Open && !abandon;
        // Flow control (§3.6.3.5): a fragment the advertised window has no room for is dropped before it is
        // recorded, so it is not acknowledged and the sender retransmits it (§3.6.2.5–§3.6.2.6).
        if (store && !Admit(sn, fra, data.Length))
        {
            ackNow = true; // tell the sender what is really free
            if (gap)
            {
                _sink.OnMessagesLost(this);
            }
            Deliver();
            return ackNow;
        }
        if (!duplicate && final && !_hasFinalSn)
        {
            _finalSn = sn;
            _hasFinalSn = true;
            ackNow = true;
        }
        // Record the sequence number first: a refusal (range bound) means we neither store nor acknowledge.
        bool recorded = duplicate || SequenceSet.Add(sn);
        if (recorded && store)
        {
            Store(sn, fra, data);
        }
        if (recorded)
        {
            MoveReachedToHead(); // an abandoned number can close the gap too
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

    private static long Cost(int length) => length + EntryOverhead;

    // True if a whole message at sn (CSN before it is recorded) will be delivered without a copy (fast path of Store).
    private bool IsDirectDelivery(ulong sn, FragmentControl fra, ulong csn) =>
        fra == FragmentControl.Whole && !_suspended
        && (DeliverInArrivalOrder || (_head.Count == 0 && csn + 1 >= sn));

    /// <summary>
    /// Whether a new fragment may be buffered (RFC 7016 §3.6.3.5). Within the session's budget, the fragment
    /// that extends the contiguous prefix (CSN + 1) is always taken while delivery is not suspended (that is
    /// what the one block advertised when full is for: without it a gap could never be repaired); any other
    /// fragment only if it fits the advertised window (BUFFER_CAPACITY, plus the block rounding the
    /// advertisement allows) and the bound on fragments held out of order.
    /// </summary>
    private bool Admit(ulong sn, FragmentControl fra, int length)
    {
        SequenceSet.TryGetCsn(out ulong csn);
        if (IsDirectDelivery(sn, fra, csn))
        {
            return true;
        }
        long cost = Cost(length);
        if (_budget.Used + cost > _budget.Limit)
        {
            return false;
        }
        if (!_suspended && sn <= csn + 1)
        {
            return true;
        }
        // A sender counts at least the data against the window (§3.6.2.3), so one that keeps to what we advertised
        // stays within this except for the one block advertised when full (§3.6.3.5), meant for the gap: data
        // beyond the gap is then refused and sent again later.
        return BufferedSize + length <= BufferCapacity + BlockSize && _ahead.Count - _aheadStart < MaxAheadFragments;
    }

    private void Store(ulong sn, FragmentControl fra, ReadOnlySpan<byte> data)
    {
        SequenceSet.TryGetCsn(out ulong csn);
        // Fast path: a whole message at the cumulative point with nothing held is delivered without copying.
        if (fra == FragmentControl.Whole && !_suspended && (DeliverInArrivalOrder || (_head.Count == 0 && sn <= csn)))
        {
            _sink.OnMessage(this, data);
            MoveReachedToHead();
            return;
        }
        if (sn <= csn && _head.Count > 0 && _head.PeekLast().SequenceNumber >= sn)
        {
            return; // below a Forward Sequence Number that overtook held data: abandoned by the sender (§3.6.1.2)
        }
        byte[] copy = ArrayPool<byte>.Shared.Rent(Math.Max(data.Length, 1));
        data.CopyTo(copy);
        var entry = new Entry { SequenceNumber = sn, Fra = fra, Buffer = copy, Length = data.Length };
        long cost = Cost(data.Length);
        BufferedSize += data.Length;
        _budget.Used += cost;
        if (sn <= csn)
        {
            // Extends the contiguous prefix (everything below is held or gone): appended in order.
            _head.PushBack(entry);
            MoveReachedToHead();
            return;
        }
        int at = FindAheadIndex(sn);
        _ahead.Insert(at, entry);
        if (DeliverInArrivalOrder && !_suspended)
        {
            TryDeliverSegmentAround(at);
        }
    }

    // Entries of _ahead now at or below CSN join the contiguous prefix, in order; each entry moves once.
    private void MoveReachedToHead()
    {
        if (_aheadStart >= _ahead.Count || !SequenceSet.TryGetCsn(out ulong csn))
        {
            return;
        }
        while (_aheadStart < _ahead.Count && _ahead[_aheadStart].SequenceNumber <= csn)
        {
            _head.PushBack(_ahead[_aheadStart]);
            _ahead[_aheadStart] = default;
            _aheadStart++;
        }
        CompactAhead();
    }

    private void CompactAhead()
    {
        if (_aheadStart == _ahead.Count)
        {
            _ahead.Clear();
            _aheadStart = 0;
        }
        else if (_aheadStart > 64 && _aheadStart * 2 > _ahead.Count)
        {
            _ahead.RemoveRange(0, _aheadStart);
            _aheadStart = 0;
        }
    }

    // First index of _ahead (from _aheadStart) whose SequenceNumber >= sn.
    private int FindAheadIndex(ulong sn)
    {
        int lo = _aheadStart;
        int hi = _ahead.Count;
        if (lo == hi || _ahead[hi - 1].SequenceNumber < sn)
        {
            return hi;
        }
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_ahead[mid].SequenceNumber < sn)
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

    // Network arrival order, beyond the contiguous prefix: deliver the message containing index i of _ahead if
    // all its fragments are present. The run last scanned (a Begin and the Middles after it) is remembered, so a
    // message arriving in order costs O(1) per fragment; any other scan is bounded by MaxAheadFragments.
    private void TryDeliverSegmentAround(int i)
    {
        ulong sn = _ahead[i].SequenceNumber;
        int first = i;
        int known = _runValid && sn == _runLastSn + 1 ? i - 1 - (int)Math.Min(_runLastSn - _runFirstSn, int.MaxValue) : -1;
        if (known >= _aheadStart && _ahead[known].SequenceNumber == _runFirstSn && _ahead[i - 1].SequenceNumber == _runLastSn)
        {
            // Sorted distinct numbers: equal ends over as many entries means the whole run is still there.
            first = _ahead[i].Fra is FragmentControl.Middle or FragmentControl.End ? known : i;
        }
        else
        {
            while (_ahead[first].Fra is FragmentControl.Middle or FragmentControl.End)
            {
                if (first == _aheadStart || _ahead[first - 1].SequenceNumber != _ahead[first].SequenceNumber - 1
                    || _ahead[first - 1].Fra is FragmentControl.End or FragmentControl.Whole)
                {
                    return;
                }
                first--;
                ScanSteps++;
            }
        }
        int last = i;
        while (_ahead[last].Fra is FragmentControl.Begin or FragmentControl.Middle)
        {
            if (last + 1 >= _ahead.Count || _ahead[last + 1].SequenceNumber != _ahead[last].SequenceNumber + 1
                || _ahead[last + 1].Fra is FragmentControl.Begin or FragmentControl.Whole)
            {
                _runValid = true; // incomplete: remember first..last for the next fragment
                _runFirstSn = _ahead[first].SequenceNumber;
                _runLastSn = _ahead[last].SequenceNumber;
                return;
            }
            last++;
            ScanSteps++;
        }
        _runValid = false;
        int total = 0;
        for (int k = first; k <= last; k++)
        {
            total += _ahead[k].Length;
        }
        byte[] message = ArrayPool<byte>.Shared.Rent(Math.Max(total, 1));
        int offset = 0;
        for (int k = first; k <= last; k++)
        {
            var e = _ahead[k];
            e.Buffer.AsSpan(0, e.Length).CopyTo(message.AsSpan(offset));
            offset += e.Length;
            Release(e);
        }
        _ahead.RemoveRange(first, last - first + 1);
        try
        {
            _sink.OnMessage(this, message.AsSpan(0, total));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(message);
        }
    }

    /// <summary>
    /// Original-order delivery and discarding of abandoned segments (RFC 7016 §3.6.3.3), over the contiguous
    /// prefix only. The message in progress at its front is scanned once: <see cref="_headScan"/> fragments
    /// are known to be its Begin and Middles, so each fragment costs O(1) amortized.
    /// </summary>
    private void Deliver()
    {
        if (_suspended)
        {
            return;
        }
        while (_head.Count > 0)
        {
            ref var entry = ref _head[0];
            if (entry.Fra == FragmentControl.Whole)
            {
                DeliverFront(1);
                continue;
            }
            if (entry.Fra is FragmentControl.End or FragmentControl.Middle)
            {
                RemoveFront(1);
                _sink.OnMessagesLost(this);
                continue;
            }
            // Begin: extend the known part of this message over the fragments that arrived since.
            if (_headScan == 0)
            {
                _headScan = 1;
                _headSize = _head[0].Length;
            }
            bool ended = false;
            while (_headScan < _head.Count)
            {
                ref var next = ref _head[_headScan];
                if (next.SequenceNumber != _head[_headScan - 1].SequenceNumber + 1
                    || next.Fra is FragmentControl.Begin or FragmentControl.Whole)
                {
                    break;
                }
                _headScan++;
                ScanSteps++;
                _headSize += next.Length;
                if (next.Fra == FragmentControl.End)
                {
                    ended = true;
                    break;
                }
            }
            if (ended)
            {
                DeliverFront(_headScan);
            }
            else if (_headScan < _head.Count || _head[_headScan - 1].SequenceNumber < CsnOrZero())
            {
                // The next number is held by another message or was abandoned: this one can never complete.
                RemoveFront(_headScan);
                _sink.OnMessagesLost(this);
            }
            else
            {
                if (_headSize + (long)_headScan * EntryOverhead > _maxMessageSize)
                {
                    // §3.6.3.7: a message larger than we accept; the sender learns it from the exception.
                    Reject(0);
                }
                return; // in progress
            }
        }
    }

    private ulong CsnOrZero() => SequenceSet.TryGetCsn(out ulong csn) ? csn : 0;

    // Delivers the first count entries of the contiguous prefix as one message.
    private void DeliverFront(int count)
    {
        if (count == 1)
        {
            var e = _head[0];
            _head.PopFront();
            _headScan = 0;
            try
            {
                _sink.OnMessage(this, e.Buffer.AsSpan(0, e.Length));
            }
            finally
            {
                Release(e);
            }
            return;
        }
        int total = 0;
        for (int i = 0; i < count; i++)
        {
            total += _head[i].Length;
        }
        byte[] message = ArrayPool<byte>.Shared.Rent(Math.Max(total, 1));
        int offset = 0;
        for (int i = 0; i < count; i++)
        {
            ref var e = ref _head[i];
            e.Buffer.AsSpan(0, e.Length).CopyTo(message.AsSpan(offset));
            offset += e.Length;
        }
        RemoveFront(count);
        try
        {
            _sink.OnMessage(this, message.AsSpan(0, total));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(message);
        }
    }

    private void RemoveFront(int count)
    {
        for (int i = 0; i < count; i++)
        {
            Release(_head[0]);
            _head.PopFront();
        }
        _headScan = 0;
        _headSize = 0;
    }

    private void Release(in Entry e)
    {
        long cost = Cost(e.Length);
        BufferedSize -= e.Length;
        _budget.Used -= cost;
        if (e.Buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(e.Buffer);
        }
    }

    private void ClearBuffer()
    {
        RemoveFront(_head.Count);
        for (int i = _aheadStart; i < _ahead.Count; i++)
        {
            Release(_ahead[i]);
        }
        _ahead.Clear();
        _aheadStart = 0;
    }

    private int HeldCount => _head.Count + _ahead.Count - _aheadStart;

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
        if (State == RecvFlowState.CompleteLinger && !_completeNotified && HeldCount == 0)
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
