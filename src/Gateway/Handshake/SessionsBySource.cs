using System.Net;

namespace Rtmfp.Gateway.Handshake;

/// <summary>
/// Open sessions this gateway serves, counted per source address and per prefix (<see cref="SourceGuard.TryKey"/>), so
/// that one source cannot hold more than <see cref="GatewaySourceLimits.SessionsPerAddress"/> (and its prefix more than
/// <see cref="GatewaySourceLimits.SessionsPerPrefix"/>); beyond, the IIKeying is dropped as RFC 7016 §3.5.1.1.2 allows
/// a responder that does not want the session. A session is counted from its SessionOpened to its SessionClosed; one
/// that closed without telling this gateway (it moved to another) is dropped from the count when its keys are no longer
/// cached here. Thread-safe.
/// </summary>
internal sealed class SessionsBySource(GatewaySourceLimits limits, Func<uint, bool> stillServed)
{
    private const long PruneIntervalMs = 1_000;

    private readonly Dictionary<uint, (UInt128 Address, UInt128 Prefix)> _sessions = [];
    private readonly Dictionary<UInt128, int> _perAddress = [];
    private readonly Dictionary<UInt128, int> _perPrefix = [];
    private readonly Lock _lock = new();
    private long _lastPruneMs = long.MinValue;

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

    /// <summary>May <paramref name="from"/> open one more session?</summary>
    public bool HasRoom(SocketAddress from, long nowMs)
    {
        if (!SourceGuard.TryKey(from, out var key, out var prefix))
        {
            return false;
        }
        lock (_lock)
        {
            if (Below(key, prefix))
            {
                return true;
            }
            // At a bound: forget sessions that ended elsewhere, at most once a second (it walks every session).
            if (nowMs - _lastPruneMs < PruneIntervalMs)
            {
                return false;
            }
            _lastPruneMs = nowMs;
            foreach (var (sessionId, _) in _sessions.Where(s => !stillServed(s.Key)).ToList())
            {
                Remove(sessionId);
            }
            return Below(key, prefix);
        }
    }

    public void Opened(uint sessionId, SocketAddress from)
    {
        if (!SourceGuard.TryKey(from, out var key, out var prefix))
        {
            return;
        }
        lock (_lock)
        {
            if (_sessions.TryAdd(sessionId, (key, prefix)))
            {
                _perAddress[key] = _perAddress.GetValueOrDefault(key) + 1;
                _perPrefix[prefix] = _perPrefix.GetValueOrDefault(prefix) + 1;
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
