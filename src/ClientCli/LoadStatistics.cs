using Rtmfp.Client.Diagnostics;

namespace Rtmfp.ClientCli;

/// <summary>Counters and latency samples shared by every load session (thread-safe).</summary>
internal sealed class LoadStatistics
{
    private readonly LatencyStatistics _handshakeTimes = new();
    private readonly LatencyStatistics _roundTrips = new();
    private LatencyStatistics _interval = new();
    private long _handshakes;
    private long _handshakeFailures;
    private long _sent;
    private long _received;
    private long _mismatches;
    private long _lostSessions;
    private long _open;

    public long Handshakes => Interlocked.Read(ref _handshakes);
    public long HandshakeFailures => Interlocked.Read(ref _handshakeFailures);
    public long Sent => Interlocked.Read(ref _sent);
    public long RoundTrips => Interlocked.Read(ref _received);
    public long Mismatches => Interlocked.Read(ref _mismatches);
    public long LostSessions => Interlocked.Read(ref _lostSessions);
    public long OpenSessions => Interlocked.Read(ref _open);

    public void OnHandshake(TimeSpan elapsed)
    {
        _handshakeTimes.Add(elapsed.TotalMilliseconds);
        Interlocked.Increment(ref _handshakes);
        Interlocked.Increment(ref _open);
    }

    public void OnHandshakeFailed() => Interlocked.Increment(ref _handshakeFailures);

    public void OnSessionEnded(bool unexpectedly)
    {
        Interlocked.Decrement(ref _open);
        if (unexpectedly)
        {
            Interlocked.Increment(ref _lostSessions);
        }
    }

    public void OnSent() => Interlocked.Increment(ref _sent);

    public void OnRoundTrip(double milliseconds)
    {
        _roundTrips.Add(milliseconds);
        Volatile.Read(ref _interval).Add(milliseconds);
        Interlocked.Increment(ref _received);
    }

    public void OnMismatch() => Interlocked.Increment(ref _mismatches);

    public LatencySummary HandshakeSummary() => _handshakeTimes.Summarize();

    public LatencySummary RoundTripSummary() => _roundTrips.Summarize();

    /// <summary>Round trips since the previous call (for a live display).</summary>
    public LatencySummary TakeInterval() => Interlocked.Exchange(ref _interval, new LatencyStatistics()).Summarize();
}
