namespace Rtmfp.Engine.Handshake;

/// <summary>
/// Backoff for one destination (RFC 7016 §3.5.1.1.1): send now, then after 1 s, then each interval
/// 1.5 s longer than the previous one (1, 2.5, 4, 5.5 … s). Scheduled per candidate address.
/// </summary>
internal struct RetransmissionSchedule
{
    private long _intervalMs;

    /// <summary>A schedule whose first send is due at <paramref name="firstSendMs"/>.</summary>
    public RetransmissionSchedule(long firstSendMs)
    {
        NextSendMs = firstSendMs;
        _intervalMs = 0;
        Attempts = 0;
    }

    public long NextSendMs { get; private set; }
    public int Attempts { get; private set; }

    public readonly bool IsDue(long nowMs) => nowMs >= NextSendMs;

    /// <summary>Records a send at <paramref name="nowMs"/> and schedules the next one.</summary>
    public void OnSent(long nowMs)
    {
        _intervalMs = _intervalMs < HandshakeTimings.InitialRetransmitMs
            ? HandshakeTimings.InitialRetransmitMs
            : _intervalMs + HandshakeTimings.BackoffIncrementMs;
        Attempts++;
        NextSendMs = nowMs + _intervalMs;
    }
}
