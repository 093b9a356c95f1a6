using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine;

/// <summary>
/// RTT measurement and the Effective Retransmission Timeout (RFC 7016 §3.5.2.2, the OPTIONAL
/// method): TS_TX / TS_ECHO_RX bookkeeping, SRTT/RTTVAR smoothing, MRTO, ERTO and its backoff.
/// </summary>
public sealed class RetransmissionTimeout
{
    public const int InitialMrtoMs = 250;
    public const int InitialErtoMs = 3000;
    public const int MinErtoMs = 250;
    public const int MaxBackoffErtoMs = 10_000;
    /// <summary>Allowance for the far end's delayed acknowledgement (RFC 7016 §3.6.3.4.4).</summary>
    public const int DelayedAckAllowanceMs = 200;

    private bool _hasTsTx;
    private ushort _tsTx;
    private bool _hasEchoRx;
    private ushort _echoRx;

    public int MrtoMs { get; private set; } = InitialMrtoMs;
    public int ErtoMs { get; private set; } = InitialErtoMs;
    /// <summary>Smoothed RTT in milliseconds, or -1 before the first measurement.</summary>
    public int SrttMs { get; private set; } = -1;
    public int RttVarMs { get; private set; }
    /// <summary>Most recent valid RTT sample in milliseconds, or -1.</summary>
    public int LastRttMs { get; private set; } = -1;

    /// <summary>When sending: true if the timestamp field should be included (the send timestamp changed).</summary>
    public bool TryGetTimestampToSend(long nowMs, out ushort timestamp)
    {
        timestamp = Timestamp.FromMilliseconds(nowMs);
        if (_hasTsTx && timestamp == _tsTx)
        {
            return false;
        }
        _hasTsTx = true;
        _tsTx = timestamp;
        return true;
    }

    /// <summary>On receipt of a packet carrying a timestamp echo.</summary>
    public void OnTimestampEchoReceived(ushort echo, long nowMs)
    {
        if (_hasEchoRx && echo == _echoRx)
        {
            return;
        }
        _hasEchoRx = true;
        _echoRx = echo;
        int rttTicks = (ushort)(Timestamp.FromMilliseconds(nowMs) - echo);
        if (rttTicks > 32767)
        {
            return; // invalid measurement
        }
        AddSample(rttTicks * Timestamp.TickMilliseconds);
    }

    /// <summary>Feeds one RTT sample (milliseconds) into the smoother (steps 5–8).</summary>
    public void AddSample(int rttMs)
    {
        LastRttMs = rttMs;
        if (SrttMs >= 0)
        {
            int delta = Math.Abs(SrttMs - rttMs);
            RttVarMs = (3 * RttVarMs + delta) / 4;
            SrttMs = (7 * SrttMs + rttMs) / 8;
        }
        else
        {
            SrttMs = rttMs;
            RttVarMs = rttMs / 2;
        }
        MrtoMs = SrttMs + 4 * RttVarMs + DelayedAckAllowanceMs;
        ErtoMs = Math.Max(MrtoMs, MinErtoMs);
    }

    /// <summary>Exponential backoff on a retransmission timeout, capped at 10 s but never below MRTO.</summary>
    public void Backoff()
    {
        int backedOff = (int)Math.Min((long)ErtoMs * 14142 / 10000, MaxBackoffErtoMs);
        ErtoMs = Math.Max(backedOff, MrtoMs);
    }
}
