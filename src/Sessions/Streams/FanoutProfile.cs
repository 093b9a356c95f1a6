using System.Runtime.InteropServices;

namespace Rtmfp.Sessions.Streams;

/// <summary>
/// Where a player's share of one stream event goes in the node's fan-out (issue 12's profile): on every
/// <see cref="SampleEvery"/>th node event, each direct delivery is split by this thread's CPU time (not wall time, so a
/// loaded machine's preemption is not counted) into the Flash layer (deliver, queue, write to flows), packet building and
/// encryption, and the send system call. Only the fan-out's thread writes; the figures are read at the node's end.
/// </summary>
internal static partial class FanoutProfile
{
    public const int SampleEvery = 32;

    /// <summary>Phases of one direct delivery.</summary>
    public enum Phase
    {
        Flash,
        BuildEncrypt,
        Send,
    }

    private static readonly long[] Nanoseconds = new long[3];
    private static long _deliveries;
    private static long _start;
    private static long _events;
    private static bool _sampling;

    /// <summary>Sampled deliveries so far and nanoseconds per phase.</summary>
    public static (long Deliveries, long FlashNs, long BuildEncryptNs, long SendNs) Totals =>
        (Interlocked.Read(ref _deliveries), Interlocked.Read(ref Nanoseconds[0]), Interlocked.Read(ref Nanoseconds[1]), Interlocked.Read(ref Nanoseconds[2]));

    /// <summary>Called by the fan-out per node event: whether this one is sampled.</summary>
    public static void OnEvent() => _sampling = ++_events % SampleEvery == 0;

    public static void Begin()
    {
        if (_sampling)
        {
            _start = ThreadCpuNs();
        }
    }

    /// <summary>Ends <paramref name="phase"/> and starts the next one.</summary>
    public static void Mark(Phase phase)
    {
        if (!_sampling)
        {
            return;
        }
        long now = ThreadCpuNs();
        Interlocked.Add(ref Nanoseconds[(int)phase], now - _start);
        _start = now;
        if (phase == Phase.Send)
        {
            Interlocked.Increment(ref _deliveries);
        }
    }

    /// <summary>
    /// After <see cref="Begin"/> around the end of a pass's send scope (Rtmfp.Cluster.SendDeferral): the players' bursts
    /// that leave together are charged to the send phase of the pass's sampled deliveries.
    /// </summary>
    public static void EndPassSend()
    {
        if (_sampling)
        {
            Interlocked.Add(ref Nanoseconds[(int)Phase.Send], ThreadCpuNs() - _start);
        }
    }

    public static string Describe()
    {
        var (n, flash, build, send) = Totals;
        if (n == 0)
        {
            return "no sampled delivery";
        }
        return $"{n} sampled deliveries, CPU per delivery: Flash layer {flash / n / 1000.0:0.00} µs, build + encrypt {build / n / 1000.0:0.00} µs, " +
            $"send {send / n / 1000.0:0.00} µs";
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    private const int ClockThreadCpuTime = 3; // CLOCK_THREAD_CPUTIME_ID (Linux)

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out Timespec time);

    private static long ThreadCpuNs() => ClockGetTime(ClockThreadCpuTime, out var t) == 0 ? (t.Seconds * 1_000_000_000L) + t.Nanoseconds : 0;
}
