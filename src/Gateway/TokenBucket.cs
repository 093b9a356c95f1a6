using Rtmfp.Shared.Limits;

namespace Rtmfp.Gateway;

/// <summary>A token bucket for bounding work a flood can cause (key lookups, handshakes): a <see cref="RateBucket"/> under a lock.</summary>
internal sealed class TokenBucket(double ratePerSecond, double burst)
{
    private readonly Lock _lock = new();
    private RateBucket _bucket = RateBucket.Full(burst, Environment.TickCount64);

    public bool TryTake(long nowMs)
    {
        lock (_lock)
        {
            _bucket.Refill(ratePerSecond, burst, nowMs);
            return _bucket.TryTake();
        }
    }
}
