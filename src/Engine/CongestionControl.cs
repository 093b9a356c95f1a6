namespace Rtmfp.Engine;

/// <summary>
/// The window-based congestion control of RFC 7016 Appendix A (TCP compatible per §3.5.2), with
/// the Time Critical Reverse rules of §3.5.2.1 and burst avoidance of §3.5.2.3 (DATA_PACKET_COUNT).
/// Call <see cref="BeginPacket"/> before and <see cref="EndPacket"/> after processing each received packet.
/// </summary>
public sealed class CongestionControl
{
    /// <summary>Sender Maximum Segment Size: our largest plain packet.</summary>
    public const int Smss = 1200;
    /// <summary>RFC 5681 §3.1 initial window for this SMSS: min(4·SMSS, max(2·SMSS, 4380)).</summary>
    public const int CwndInit = 4380;
    public const int CwndTimedOut = Smss;
    public const int MaxDataPacketsWithoutAck = 6;
    private const int FastDecreaseThreshold = 67200;

    private readonly TimeCriticalTracker? _tracker;
    private long _lastTcrReceivedMs = long.MinValue / 2;
    private long _lastTcSentMs = long.MinValue / 2;
    private long _ackedAccumulator;
    private long _ackedThisPacket;
    private long _preAckOutstanding;
    private bool _anyLoss;
    private bool _anyNaks;
    private bool _anyAcks;

    public CongestionControl(TimeCriticalTracker? tracker = null)
    {
        _tracker = tracker;
    }

    public long Cwnd { get; private set; } = CwndInit;
    /// <summary>Slow start threshold; <see cref="long.MaxValue"/> is positive infinity.</summary>
    public long Ssthresh { get; private set; } = long.MaxValue;
    /// <summary>Packets with user data sent since the last acknowledgement or timeout (§3.5.2.3).</summary>
    public int DataPacketCount { get; private set; }

    /// <summary>True if a new user data fragment may be sent now.</summary>
    public bool CanSend(long outstandingBytes) => outstandingBytes < Cwnd && DataPacketCount < MaxDataPacketsWithoutAck;

    public void OnTimeCriticalReverseReceived(long nowMs) => _lastTcrReceivedMs = nowMs;

    public void OnTimeCriticalSent(long nowMs)
    {
        _lastTcSentMs = nowMs;
        _tracker?.OnTimeCriticalSent(nowMs);
    }

    public bool TimeCriticalSent(long nowMs) => nowMs - _lastTcSentMs < TimeCriticalTracker.WindowMs;

    public bool FastGrowAllowed(long nowMs) =>
        nowMs - _lastTcrReceivedMs >= TimeCriticalTracker.WindowMs
        && !TimeCriticalSent(nowMs)
        && !(_tracker?.AnySentWithin(nowMs) ?? false);

    public void OnDataPacketSent() => DataPacketCount++;

    public void BeginPacket(long outstandingBytes)
    {
        _anyLoss = false;
        _anyNaks = false;
        _anyAcks = false;
        _ackedThisPacket = 0;
        _preAckOutstanding = outstandingBytes;
    }

    /// <summary>An acknowledgement chunk arrived; <paramref name="ackedBytes"/> of outstanding data were acknowledged.</summary>
    public void OnAcknowledgement(long ackedBytes)
    {
        _anyAcks = true;
        _ackedThisPacket += ackedBytes;
        DataPacketCount = 0;
    }

    public void OnNegativeAcknowledgement() => _anyNaks = true;

    public void OnLoss() => _anyLoss = true;

    /// <summary>Figure 25: window adjustment after processing all chunks of a received packet.</summary>
    public void EndPacket(long nowMs)
    {
        bool fastGrow = FastGrowAllowed(nowMs);
        bool tcSent = TimeCriticalSent(nowMs);
        if (_anyLoss)
        {
            if (tcSent || (_preAckOutstanding > FastDecreaseThreshold && fastGrow))
            {
                Ssthresh = Math.Max(_preAckOutstanding * 7 / 8, CwndInit);
            }
            else
            {
                Ssthresh = Math.Max(_preAckOutstanding / 2, CwndInit);
            }
            Cwnd = Ssthresh;
            _ackedAccumulator = 0;
        }
        else if (_anyAcks && !_anyNaks && _preAckOutstanding >= Cwnd)
        {
            long increase = 0;
            if (fastGrow)
            {
                if (Cwnd < Ssthresh)
                {
                    increase = _ackedThisPacket;
                }
                else
                {
                    _ackedAccumulator += _ackedThisPacket;
                    long aiThresh = Math.Min(Math.Max(Cwnd / 16, 64), 4800);
                    while (_ackedAccumulator >= aiThresh)
                    {
                        _ackedAccumulator -= aiThresh;
                        increase += 48;
                    }
                }
            }
            else if (Cwnd < Ssthresh && tcSent)
            {
                increase = (_ackedThisPacket + 3) / 4;
            }
            else
            {
                // §3.5.2.1: with TCR and not sending TC ourselves, SSTHRESH behaves as 0 (no slow start).
                long cap = tcSent ? 2400 : 4800;
                _ackedAccumulator += _ackedThisPacket;
                long aiThresh = Math.Min(Math.Max(Cwnd / 16, 64), cap);
                while (_ackedAccumulator >= aiThresh)
                {
                    _ackedAccumulator -= aiThresh;
                    increase += 24;
                }
            }
            Cwnd = Math.Max(Cwnd + Math.Min(increase, Smss), CwndInit);
        }
    }

    /// <summary>Figure 24: the retransmission timeout fired.</summary>
    public void OnTimeout(bool wasLoss)
    {
        Ssthresh = Math.Max(Ssthresh, Cwnd * 3 / 4); // stays infinite if it was
        _ackedAccumulator = 0;
        Cwnd = wasLoss ? CwndTimedOut : CwndInit;
        DataPacketCount = 0;
    }
}
