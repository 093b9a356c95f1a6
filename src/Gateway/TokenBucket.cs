using Rtmfp.Cluster;
namespace Rtmfp.Gateway;

/// <summary>A token bucket for bounding work a flood can cause (key lookups, handshakes).</summary>
internal sealed class TokenBucket(double ratePerSecond, double burst)
{
    private readonly Lock _lock = new();
    private readonly double _burst = burst;
    private double _tokens = burst;
    private long _lastMs = Environment.TickCount64;

    public bool TryTake(long nowMs)
    {
        lock (_lock)
        {
            if (nowMs > _lastMs)
            {
                _tokens = Math.Min(_burst, _tokens + (nowMs - _lastMs) * ratePerSecond / 1000.0);
                _lastMs = nowMs;
            }
            if (_tokens >= 1)
            {
                _tokens -= 1;
                return true;
            }
            return false;
        }
    }
}
