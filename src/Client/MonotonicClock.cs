using System.Diagnostics;

namespace Rtmfp.Client;

/// <summary>The engine's clock: monotonic milliseconds (never wall time, which can jump backwards).</summary>
public static class MonotonicClock
{
    public static long NowMs => Stopwatch.GetTimestamp() * 1000 / Stopwatch.Frequency;
}
