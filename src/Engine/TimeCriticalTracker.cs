namespace Rtmfp.Engine;

/// <summary>
/// Host-wide memory of Time Critical traffic (RFC 7016 §2.2.4, §3.5.2.1, Appendix A): when any
/// session last sent TC data (FASTGROW_ALLOWED is false for every session for 800 ms after) and
/// which sessions recently received TC data (the others then set TCR on their packets).
/// Shared by all sessions of one host; thread-safe because sessions may live on different threads.
/// </summary>
public sealed class TimeCriticalTracker
{
    public const long WindowMs = 800;

    private readonly Lock _lock = new();
    private long _lastSentMs = long.MinValue / 2;
    // The two most recent distinct receivers, so a session can tell "another session receives TC".
    private object? _rxOwnerA;
    private long _rxTimeA = long.MinValue / 2;
    private object? _rxOwnerB;
    private long _rxTimeB = long.MinValue / 2;

    public void OnTimeCriticalSent(long nowMs)
    {
        lock (_lock)
        {
            if (nowMs > _lastSentMs)
            {
                _lastSentMs = nowMs;
            }
        }
    }

    public bool AnySentWithin(long nowMs)
    {
        lock (_lock)
        {
            return nowMs - _lastSentMs < WindowMs;
        }
    }

    public void OnTimeCriticalReceived(object session, long nowMs)
    {
        lock (_lock)
        {
            if (ReferenceEquals(_rxOwnerA, session))
            {
                _rxTimeA = nowMs;
                return;
            }
            _rxOwnerB = _rxOwnerA;
            _rxTimeB = _rxTimeA;
            _rxOwnerA = session;
            _rxTimeA = nowMs;
        }
    }

    /// <summary>True if a session other than <paramref name="session"/> received TC data in the last 800 ms.</summary>
    public bool OtherReceivedWithin(object session, long nowMs)
    {
        lock (_lock)
        {
            if (_rxOwnerA is not null && !ReferenceEquals(_rxOwnerA, session) && nowMs - _rxTimeA < WindowMs)
            {
                return true;
            }
            return _rxOwnerB is not null && !ReferenceEquals(_rxOwnerB, session) && nowMs - _rxTimeB < WindowMs;
        }
    }
}
