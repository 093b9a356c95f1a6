using System.Net;

namespace Rtmfp.Gateway.Handshake;

/// <summary>
/// Open sessions this gateway serves, counted per source address and per prefix (<see cref="SourceGuard.TryKey"/>), so
/// that one source cannot hold more than <see cref="GatewaySourceLimits.SessionsPerAddress"/> (and its prefix more than
/// <see cref="GatewaySourceLimits.SessionsPerPrefix"/>); beyond, the IIKeying is dropped as RFC 7016 §3.5.1.1.2 allows
/// a responder that does not want the session. A session counts from the moment its keying job is admitted
/// (<see cref="TryReserve"/>: sessions being opened count, or a burst of IIKeyings would all pass before the first opens)
/// to its SessionClosed; a job that never completes stops counting after <see cref="KeyingReplayCache.PendingMs"/>, and a
/// session that closed without telling this gateway (it moved to another) when its keys are no longer cached here.
/// Thread-safe.
/// </summary>
internal sealed class SessionsBySource(GatewaySourceLimits limits, Func<uint, bool> stillServed)
{
    private const long PruneIntervalMs = 1_000;

    private readonly Dictionary<uint, (UInt128 Address, UInt128 Prefix)> _sessions = [];
    private readonly Dictionary<HandshakeJob, (UInt128 Address, UInt128 Prefix, long ExpiresMs)> _opening = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<UInt128, int> _perAddress = [];
    private readonly Dictionary<UInt128, int> _perPrefix = [];
    private readonly Lock _lock = new();
    // Not long.MinValue: nowMs - long.MinValue wraps negative for every clock value >= 0 (Environment.TickCount64),
    // and the first prune would never come.
    private long _lastPruneMs = -PruneIntervalMs;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _sessions.Count;
            }
        }
    }

    /// <summary>Open sessions counted for the source of <paramref name="address"/>.</summary>
    public int CountFor(SocketAddress address)
    {
        if (!SourceGuard.TryKey(address, out var key, out _))
        {
            return 0;
        }
        lock (_lock)
        {
            return _perAddress.GetValueOrDefault(key);
        }
    }

    /// <summary>May the source of <paramref name="job"/> open one more session? If so it counts from now.</summary>
    public bool TryReserve(HandshakeJob job, long nowMs)
    {
        if (!SourceGuard.TryKey(job.Client, out var key, out var prefix))
        {
            return false;
        }
        lock (_lock)
        {
            if (!Below(key, prefix))
            {
                // At a bound: forget what ended elsewhere or never finished, at most once a second (it walks every session).
                if (nowMs - _lastPruneMs < PruneIntervalMs)
                {
                    return false;
                }
                _lastPruneMs = nowMs;
                foreach (var (sessionId, _) in _sessions.Where(s => !stillServed(s.Key)).ToList())
                {
                    Remove(sessionId);
                }
                foreach (var (stale, _) in _opening.Where(o => o.Value.ExpiresMs <= nowMs).ToList())
                {
                    Release(stale);
                }
                if (!Below(key, prefix))
                {
                    return false;
                }
            }
            if (_opening.TryAdd(job, (key, prefix, nowMs + KeyingReplayCache.PendingMs)))
            {
                Increment(key, prefix);
            }
            return true;
        }
    }

    /// <summary>The job's keying failed or was dropped: it no longer counts.</summary>
    public void Release(HandshakeJob job)
    {
        lock (_lock)
        {
            if (_opening.Remove(job, out var source))
            {
                Decrement(_perAddress, source.Address);
                Decrement(_perPrefix, source.Prefix);
            }
        }
    }

    /// <summary>The session is open (<paramref name="job"/>: the keying that opened it, when still known).</summary>
    public void Opened(uint sessionId, SocketAddress from, HandshakeJob? job)
    {
        if (!SourceGuard.TryKey(from, out var key, out var prefix))
        {
            return;
        }
        lock (_lock)
        {
            bool reserved = job is not null && _opening.Remove(job, out _);
            if (_sessions.TryAdd(sessionId, (key, prefix)))
            {
                if (!reserved)
                {
                    Increment(key, prefix);
                }
            }
            else if (reserved)
            {
                Decrement(_perAddress, key);
                Decrement(_perPrefix, prefix);
            }
        }
    }

    public void Closed(uint sessionId)
    {
        lock (_lock)
        {
            Remove(sessionId);
        }
    }

    private void Increment(UInt128 key, UInt128 prefix)
    {
        _perAddress[key] = _perAddress.GetValueOrDefault(key) + 1;
        _perPrefix[prefix] = _perPrefix.GetValueOrDefault(prefix) + 1;
    }

    private bool Below(UInt128 key, UInt128 prefix) =>
        _perAddress.GetValueOrDefault(key) < limits.SessionsPerAddress && _perPrefix.GetValueOrDefault(prefix) < limits.SessionsPerPrefix;

    private void Remove(uint sessionId)
    {
        if (!_sessions.Remove(sessionId, out var source))
        {
            return;
        }
        Decrement(_perAddress, source.Address);
        Decrement(_perPrefix, source.Prefix);
    }

    private static void Decrement(Dictionary<UInt128, int> counts, UInt128 key)
    {
        int n = counts.GetValueOrDefault(key) - 1;
        if (n <= 0)
        {
            counts.Remove(key);
        }
        else
        {
            counts[key] = n;
        }
    }
}
