using Rtmfp.Shared.Wire;
using System.Buffers;

namespace Rtmfp.Engine;

/// <summary>
/// A receiving flow (RFC 7016 §3.6.3): SEQUENCE_SET, reassembly buffer, delivery in original queuing
/// order or network arrival order, receive window advertisement, rejection and completion.
/// Fragments are copied into pooled arrays; a whole message arriving in order is delivered straight
/// from the packet without copying.
/// </summary>
public sealed partial class RecvFlow
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

    /// <summary>
    /// The last sequence number of the last message delivered in original queuing order (0: none): everything up to it
    /// reached the user. A resumed flow starts from it (Session.Resume.cs), so nothing the user had is delivered twice.
    /// </summary>
    public ulong DeliveredThrough { get; private set; }

    /// <summary>
    /// Acknowledge only what reached the user (a cumulative acknowledgement through the last message delivered, no
    /// ranges above it): a host that records what it handled before the acknowledgement leaves never acknowledges a
    /// message it could lose with its process; the sender keeps the rest and sends it again (RFC 7016 §3.6.3.4).
    /// </summary>
    public bool AcknowledgeDeliveredOnly { get; set; }

    /// <summary>The cumulative acknowledgement this flow may send, given its <paramref name="csn"/>.</summary>
    internal ulong AcknowledgeableThrough(ulong csn) =>
        _head.Count > 0 ? Math.Min(csn, _head[0].SequenceNumber - 1) : csn;

    /// <summary>A resumed flow: numbers through <paramref name="sn"/> were delivered by an earlier incarnation.</summary>
    internal void ResumeAfter(ulong sn)
    {
        SequenceSet.Add(0, sn);
        DeliveredThrough = sn;
    }

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
