using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine;

/// <summary>
/// A sending flow (RFC 7016 §3.6.2): message queue, fragmentation, sequence numbers and FSN,
/// partial reliability (message deadlines and explicit abandon), acknowledgement and negative
/// acknowledgement processing, flow control with buffer probes, exceptions and close.
/// Created by <see cref="Session.OpenFlow"/>; all methods run on the session's single thread.
/// Message memory is referenced, not copied: it must stay unchanged until the message is
/// acknowledged or abandoned.
/// </summary>
public sealed class SendFlow
{
    public const long CompleteLingerMs = 130_000;
    public const long InitialRxBufferSize = 65536;
    public const long MinProbeIntervalMs = 1000;
    public const long MaxProbeIntervalMs = 60_000;

    private readonly RingBuffer<SendFragment> _queue = new(64);
    private readonly int _maxPacketSize;
    private ulong _headSn = 1;
    private ulong _nextSn = 1;
    private ulong _finalSn; // 0 = no value (sequence numbers start at 1)
    private int _scanFrom;
    private int _sentHighWater;
    private long _earliestExpiryMs = long.MaxValue;
    private long _lingerUntilMs;
    private long _nextProbeMs = long.MaxValue;
    private long _probeIntervalMs;

    internal SendFlow(ulong flowId, ReadOnlyMemory<byte> metadata, ulong? returnAssociation, int maxPacketSize,
        ulong firstSequenceNumber = 1)
    {
        ArgumentOutOfRangeException.ThrowIfZero(firstSequenceNumber);
        // A resumed flow (Session.Resume.cs) goes on above every number it may have used: its first FSN tells the
        // receiver that everything below was abandoned (RFC 7016 §3.6.2.3, §3.6.3.2).
        _headSn = _nextSn = firstSequenceNumber;
        FlowId = flowId;
        Metadata = metadata;
        ReturnAssociation = returnAssociation;
        _maxPacketSize = maxPacketSize;
        StartupOptionsLength = OptionCodec.GetLength(UserDataOptions.UserMetadataType, metadata.Length)
            + (returnAssociation is { } assoc ? OptionCodec.GetVluOptionLength(UserDataOptions.ReturnFlowAssociationType, assoc) : 0)
            + 1; // marker
    }

    public ulong FlowId { get; }
    public ReadOnlyMemory<byte> Metadata { get; }
    /// <summary>The far end's receiving flow this flow answers (RFC 7016 §2.3.11.1.2), if any.</summary>
    public ulong? ReturnAssociation { get; }
    public SendFlowState State { get; private set; }
    /// <summary>Higher priority flows are served first; equal priorities share round-robin.</summary>
    public int Priority { get; set; }
    /// <summary>Real-time flow: packets carrying its data set the TC flag (RFC 7016 §2.2.4).</summary>
    public bool TimeCritical { get; set; }
    /// <summary>The far end rejected the flow (Flow Exception Report received).</summary>
    public bool ExceptionReceived { get; private set; }
    public ulong ExceptionCode { get; private set; }
    /// <summary>RX_BUFFER_SIZE: the far end's latest buffer advertisement in bytes.</summary>
    public long RxBufferSize { get; private set; } = InitialRxBufferSize;
    /// <summary>F_OUTSTANDING_BYTES.</summary>
    public long OutstandingBytes { get; private set; }
    /// <summary>Entries in SEND_QUEUE (unacknowledged fragments, including abandoned ones not yet trimmed).</summary>
    public int QueuedFragmentCount => _queue.Count;
    /// <summary>True until the first acknowledgement (STARTUP_OPTIONS not empty).</summary>
    public bool StartupOptionsPending { get; private set; } = true;
    /// <summary>Suspended by a zero receive window (RFC 7016 §3.6.2.9.1).</summary>
    public bool IsSuspended => RxBufferSize == 0 && !ExceptionReceived;
    /// <summary>Opaque host state.</summary>
    public object? Tag { get; set; }

    /// <summary>
    /// The host records this flow's unacknowledged messages before they leave (Session.Resume.cs): it is exported with
    /// its queue and resumed with its own sequence numbers, so what the far end may have is sent again unchanged.
    /// </summary>
    public bool Durable { get; set; }

    /// <summary>The sequence number of the last fragment written (0: none yet): a host compares it to know what is new.</summary>
    public ulong WrittenThrough => _nextSn - 1;

    internal int StartupOptionsLength { get; }
    /// <summary>Encoded STARTUP_OPTIONS (metadata, return association, marker), set by the session.</summary>
    internal byte[] StartupOptions { get; set; } = [];
    internal ulong FinalSequenceNumber => _finalSn;
    internal ulong NextSequenceNumber => _nextSn;

    /// <summary>
    /// Queues a message (RFC 7016 §3.6.2.2). Returns its message handle (the sequence number of its
    /// first fragment, for <see cref="Abandon"/>), or 0 if the flow is no longer open.
    /// <paramref name="expiresAtMs"/> abandons the message if still unacknowledged at that time.
    /// </summary>
    public ulong Write(ReadOnlyMemory<byte> message, long expiresAtMs = long.MaxValue)
    {
        if (State != SendFlowState.Open)
        {
            return 0;
        }
        int maxFragment = MaxFragmentSize(message.Length);
        int count = message.Length == 0 ? 1 : (message.Length + maxFragment - 1) / maxFragment;
        ulong first = _nextSn;
        for (int i = 0; i < count; i++)
        {
            int offset = i * maxFragment;
            int len = Math.Min(maxFragment, message.Length - offset);
            FragmentControl fra = count == 1 ? FragmentControl.Whole
                : i == 0 ? FragmentControl.Begin
                : i == count - 1 ? FragmentControl.End
                : FragmentControl.Middle;
            _queue.PushBack(new SendFragment
            {
                SequenceNumber = _nextSn++,
                Data = message.Slice(offset, len),
                Fra = fra,
                MessageSequenceNumber = first,
                ExpiresAtMs = expiresAtMs,
            });
        }
        if (expiresAtMs < _earliestExpiryMs)
        {
            _earliestExpiryMs = expiresAtMs;
        }
        return first;
    }

    /// <summary>Abandons every fragment of a queued message (RFC 7016 §3.6.2.7). False if it is no longer queued.</summary>
    public bool Abandon(ulong messageHandle)
    {
        if (messageHandle < _headSn || messageHandle >= _headSn + (ulong)_queue.Count)
        {
            return false;
        }
        int i = (int)(messageHandle - _headSn);
        bool any = false;
        for (; i < _queue.Count; i++)
        {
            ref var f = ref _queue[i];
            if (f.MessageSequenceNumber != messageHandle)
            {
                break;
            }
            if (!f.Acked)
            {
                f.Abandoned = true;
                f.Data = default;
                any = true;
            }
        }
        return any;
    }

    /// <summary>Closes the flow (RFC 7016 §3.6.2.11): the final sequence number follows the queued data.</summary>
    public void Close()
    {
        if (State != SendFlowState.Open)
        {
            return;
        }
        State = SendFlowState.Closing;
        if (_queue.Count > 0)
        {
            ref var tail = ref _queue.PeekLast();
            if (tail.SequenceNumber == _nextSn - 1 && !tail.EverSent)
            {
                _finalSn = tail.SequenceNumber;
                _scanFrom = 0;
                return;
            }
        }
        _finalSn = _nextSn;
        _queue.PushBack(new SendFragment
        {
            SequenceNumber = _nextSn++,
            Fra = FragmentControl.Whole,
            Abandoned = true,
            MessageSequenceNumber = _finalSn,
            ExpiresAtMs = long.MaxValue,
        });
        _scanFrom = 0;
    }

    // Largest fragment that fits a maximum-size packet with header, chunk header, startup options (§3.6.2.2).
    private int MaxFragmentSize(int messageLength)
    {
        int snLen = Vlu.GetLength(_nextSn + (ulong)messageLength + 1);
        int overhead = PacketLimits.MaxPacketHeaderLength + PacketLimits.ChunkHeaderLength + 1 + Vlu.GetLength(FlowId) + 2 * snLen
            + (StartupOptionsPending ? StartupOptionsLength : 0);
        return Math.Max(1, _maxPacketSize - overhead);
    }

    internal ref SendFragment Fragment(int index) => ref _queue[index];

    /// <summary>
    /// Trims abandoned entries from the head and computes the FSN (RFC 7016 §3.6.2.3). Deviation, so an
    /// FSN always reaches the receiver reliably: an abandoned head is only discarded when the entry after
    /// it will still be transmitted (it then carries the new FSN); otherwise the head is sent abandoned.
    /// </summary>
    internal ulong PrepareForwardSequenceNumber()
    {
        while (_queue.Count >= 2)
        {
            ref var head = ref _queue[0];
            if (head.InFlight || !head.Abandoned)
            {
                break;
            }
            ref var next = ref _queue[1];
            if (next.InFlight || next.Acked)
            {
                break;
            }
            PopHead();
        }
        if (_queue.Count == 0)
        {
            return _nextSn - 1;
        }
        ref var first = ref _queue[0];
        if (!first.Abandoned || (first.InFlight && !first.SentAbandoned))
        {
            return first.SequenceNumber - 1;
        }
        return first.SequenceNumber;
    }

    /// <summary>Index of the first entry eligible to send (§3.6.2.3), or -1.</summary>
    internal int FindEligible()
    {
        for (int i = _scanFrom; i < _queue.Count; i++)
        {
            ref var f = ref _queue[i];
            if (f.InFlight || f.Acked)
            {
                continue;
            }
            if (!f.Abandoned || i == 0 || f.SequenceNumber == _finalSn)
            {
                _scanFrom = i;
                return i;
            }
        }
        _scanFrom = _queue.Count;
        return -1;
    }

    /// <summary>Flow control gate (§3.6.2.3, §3.6.2.9).</summary>
    internal bool WindowAllows => RxBufferSize > OutstandingBytes || ExceptionReceived;

    /// <summary>Fragments sent again after a loss or timeout (RFC 7016 §3.6.2.5, §3.6.2.6).</summary>
    public long RetransmittedFragments { get; private set; }

    /// <summary>Returns true when this transmission is a retransmission.</summary>
    internal bool MarkSent(int index, int transmitSize, ulong tsn)
    {
        ref var f = ref _queue[index];
        bool again = f.EverSent;
        if (again)
        {
            RetransmittedFragments++;
        }
        f.InFlight = true;
        f.EverSent = true;
        f.NakCount = 0;
        f.SentAbandoned = f.Abandoned;
        f.TransmitSize = transmitSize;
        f.Tsn = tsn;
        OutstandingBytes += transmitSize;
        if (index + 1 > _sentHighWater)
        {
            _sentHighWater = index + 1;
        }
        return again;
    }

    /// <summary>Start of an acknowledgement chunk for this flow (§3.6.2.4 steps 2–3).</summary>
    internal void BeginAcknowledgement(long bufferBytesAvailable, long nowMs, long ertoMs)
    {
        StartupOptionsPending = false;
        bool wasOpen = RxBufferSize > 0;
        RxBufferSize = bufferBytesAvailable;
        if (RxBufferSize == 0 && !ExceptionReceived)
        {
            if (wasOpen || _nextProbeMs == long.MaxValue)
            {
                // §3.6.2.9.1: probe within one second of the window closing.
                _probeIntervalMs = Math.Max(MinProbeIntervalMs, ertoMs);
                _nextProbeMs = nowMs + MinProbeIntervalMs;
            }
        }
        else
        {
            _nextProbeMs = long.MaxValue;
        }
    }

    /// <summary>Acknowledges from..to (§3.6.2.4 step 4). Returns acknowledged in-flight bytes; raises maxTsn.</summary>
    internal long AcknowledgeRange(ulong from, ulong to, ref ulong maxTsn)
    {
        if (_queue.Count == 0 || to < _headSn)
        {
            return 0;
        }
        ulong last = _headSn + (ulong)_queue.Count - 1;
        if (from > last)
        {
            return 0;
        }
        ulong start = Math.Max(from, _headSn);
        ulong end = Math.Min(to, last);
        long acked = 0;
        for (ulong sn = start; sn <= end; sn++)
        {
            ref var f = ref _queue[(int)(sn - _headSn)];
            if (f.Acked || !f.EverSent)
            {
                continue;
            }
            if (f.InFlight)
            {
                f.InFlight = false;
                OutstandingBytes -= f.TransmitSize;
                acked += f.TransmitSize;
                if (f.Tsn > maxTsn)
                {
                    maxTsn = f.Tsn;
                }
            }
            f.Acked = true;
            f.Data = default;
        }
        return acked;
    }

    /// <summary>After the acknowledgements of a packet: drop acknowledged head entries, detect completion.</summary>
    internal void EndAcknowledgement(long nowMs)
    {
        while (_queue.Count > 0 && _queue[0].Acked)
        {
            PopHead();
        }
        if (State == SendFlowState.Closing && _queue.Count == 0)
        {
            State = SendFlowState.CompleteLinger;
            _lingerUntilMs = nowMs + CompleteLingerMs;
        }
    }

    /// <summary>§3.6.2.5: one NAK for every in-flight entry sent before the highest acknowledged TSN; 3 = lost.</summary>
    internal void ApplyNegativeAcknowledgements(ulong maxTsnAck, CongestionControl cc)
    {
        for (int i = 0; i < _sentHighWater && i < _queue.Count; i++)
        {
            ref var f = ref _queue[i];
            if (!f.InFlight || f.Tsn >= maxTsnAck)
            {
                continue;
            }
            f.NakCount++;
            cc.OnNegativeAcknowledgement();
            if (f.NakCount >= 3)
            {
                f.InFlight = false;
                OutstandingBytes -= f.TransmitSize;
                cc.OnLoss();
                if (i < _scanFrom)
                {
                    _scanFrom = i;
                }
            }
        }
    }

    /// <summary>§3.6.2.6: the session's TIMEOUT_ALARM fired. Returns true if anything was in flight.</summary>
    internal bool OnTimeout()
    {
        bool wasLoss = false;
        for (int i = 0; i < _sentHighWater && i < _queue.Count; i++)
        {
            ref var f = ref _queue[i];
            if (f.InFlight)
            {
                wasLoss = true;
                f.InFlight = false;
                if (i < _scanFrom)
                {
                    _scanFrom = i;
                }
            }
        }
        OutstandingBytes = 0;
        return wasLoss;
    }

    /// <summary>§3.6.2.10: Flow Exception Report received. True if this closed an open flow (tell the user).</summary>
    internal bool OnException(ulong code)
    {
        bool wasOpen = State == SendFlowState.Open;
        if (wasOpen)
        {
            ExceptionCode = code;
            Close();
        }
        ExceptionReceived = true;
        _nextProbeMs = long.MaxValue;
        for (int i = 0; i < _queue.Count; i++)
        {
            ref var f = ref _queue[i];
            f.Abandoned = true;
            f.Data = default;
        }
        _scanFrom = 0;
        return wasOpen;
    }

    /// <summary>Abandons messages whose deadline passed (partial reliability).</summary>
    internal void AbandonExpired(long nowMs)
    {
        if (nowMs < _earliestExpiryMs)
        {
            return;
        }
        long earliest = long.MaxValue;
        for (int i = 0; i < _queue.Count; i++)
        {
            ref var f = ref _queue[i];
            if (f.Abandoned || f.Acked)
            {
                continue;
            }
            if (f.ExpiresAtMs <= nowMs)
            {
                f.Abandoned = true;
                f.Data = default;
                if (i < _scanFrom && !f.InFlight)
                {
                    _scanFrom = i;
                }
            }
            else if (f.ExpiresAtMs < earliest)
            {
                earliest = f.ExpiresAtMs;
            }
        }
        _earliestExpiryMs = earliest;
    }

    internal long NextExpiryMs => _earliestExpiryMs;

    /// <summary>True if a Buffer Probe should be sent now; schedules the next one with backoff (§3.6.2.9.1).</summary>
    internal bool TakeProbeDue(long nowMs, long ertoMs)
    {
        if (!IsSuspended || _queue.Count == 0 || nowMs < _nextProbeMs)
        {
            return false;
        }
        long cap = Math.Max(MaxProbeIntervalMs, ertoMs);
        _nextProbeMs = nowMs + _probeIntervalMs;
        _probeIntervalMs = Math.Min(Math.Max(_probeIntervalMs * 2, Math.Max(MinProbeIntervalMs, ertoMs)), cap);
        return true;
    }

    internal long NextProbeMs => IsSuspended && _queue.Count > 0 ? _nextProbeMs : long.MaxValue;

    /// <summary>Moves F_COMPLETE_LINGER to F_CLOSED after 130 s. True when closed.</summary>
    internal bool CheckLinger(long nowMs)
    {
        if (State == SendFlowState.CompleteLinger && nowMs >= _lingerUntilMs)
        {
            State = SendFlowState.Closed;
        }
        return State == SendFlowState.Closed;
    }

    internal long LingerUntilMs => State == SendFlowState.CompleteLinger ? _lingerUntilMs : long.MaxValue;

    /// <summary>Session left S_OPEN: the flow is aborted (RFC 7016 §3.5.5).</summary>
    internal void Abort()
    {
        _queue.Clear();
        OutstandingBytes = 0;
        State = SendFlowState.Closed;
    }

    /// <summary>Every queued fragment (unacknowledged, or acknowledged above an unacknowledged one), for a resume.</summary>
    internal FragmentResumeState[] ExportQueue()
    {
        var fragments = new FragmentResumeState[_queue.Count];
        for (int i = 0; i < fragments.Length; i++)
        {
            ref var f = ref _queue[i];
            byte[] data = f.Acked || f.Abandoned ? [] : f.Data.ToArray();
            fragments[i] = new FragmentResumeState(f.SequenceNumber, f.Fra, f.Acked, f.Abandoned, data);
        }
        return fragments;
    }

    /// <summary>
    /// A durable flow resumed: its exported queue goes back with the same numbers (the receiver drops what it already
    /// has, RFC 7016 §3.6.3.2), and new messages follow <paramref name="nextSequenceNumber"/>. A flow the far end had
    /// acknowledged sends no startup options again, so each fragment fits where it fitted before.
    /// </summary>
    internal void RestoreQueue(IReadOnlyList<FragmentResumeState> fragments, ulong nextSequenceNumber, bool acknowledged)
    {
        StartupOptionsPending = !acknowledged;
        ulong message = 0;
        foreach (var f in fragments)
        {
            if (f.SequenceNumber != _nextSn)
            {
                continue; // not contiguous: an export never has this; nothing is numbered twice
            }
            if (f.Fra is FragmentControl.Whole or FragmentControl.Begin || message == 0)
            {
                message = f.SequenceNumber;
            }
            _queue.PushBack(new SendFragment
            {
                SequenceNumber = _nextSn++,
                Data = f.Data,
                Fra = f.Fra,
                Acked = f.Acknowledged,
                Abandoned = f.Abandoned,
                EverSent = true,
                MessageSequenceNumber = message,
                ExpiresAtMs = long.MaxValue,
            });
        }
        _nextSn = Math.Max(_nextSn, nextSequenceNumber);
        while (_queue.Count > 0 && _queue[0].Acked)
        {
            PopHead();
        }
    }

    private void PopHead()
    {
        _queue.PopFront();
        _headSn++;
        if (_scanFrom > 0)
        {
            _scanFrom--;
        }
        if (_sentHighWater > 0)
        {
            _sentHighWater--;
        }
        if (_queue.Count > 0 && _queue[0].Abandoned)
        {
            _scanFrom = 0;
        }
    }
}
