namespace Rtmfp.Shared.Limits;

/// <summary>
/// A token bucket's state, for bounding what a flood can make a node do (handshakes, lookups, bytes to unverified
/// addresses, RTMP connects): tokens earned at a rate up to a burst, spent one or more at a time. A plain struct kept in
/// the caller's tables and guarded by the caller's lock; not thread-safe by itself.
/// </summary>
internal struct RateBucket
{
    public double Tokens;
    public long LastMs;

    /// <summary>A bucket holding its whole burst at <paramref name="nowMs"/> (a source seen for the first time).</summary>
    public static RateBucket Full(double burst, long nowMs) => new() { Tokens = burst, LastMs = nowMs };

    /// <summary>Adds what <paramref name="ratePerSecond"/> earned since it was last refilled, up to <paramref name="burst"/>.</summary>
    public void Refill(double ratePerSecond, double burst, long nowMs)
    {
        if (nowMs > LastMs)
        {
            Tokens = Math.Min(burst, Tokens + (nowMs - LastMs) * ratePerSecond / 1000.0);
            LastMs = nowMs;
        }
    }

    /// <summary>Spends <paramref name="amount"/> tokens if it holds them; false (nothing spent) otherwise.</summary>
    public bool TryTake(double amount = 1)
    {
        if (Tokens < amount)
        {
            return false;
        }
        Tokens -= amount;
        return true;
    }
}
