using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Rtmfp.Fuzz.Tests;

/// <summary>
/// Seeds and bookkeeping shared by the fuzz tests. Every case draws its inputs from <see cref="Random"/>s seeded with
/// the case's seed (one per direction), so a failure names the seed and input that replay it:
/// <c>RTMFP_FUZZ_SEED=&lt;seed&gt;</c> runs just that case, <c>RTMFP_FUZZ_SCALE=&lt;k&gt;</c> runs k times the cases
/// (the long run by hand, README "Robustness").
/// </summary>
internal static class FuzzRun
{
    public const string SeedVariable = "RTMFP_FUZZ_SEED";
    public const string ScaleVariable = "RTMFP_FUZZ_SCALE";

    /// <summary>
    /// The seeds of this run, from <paramref name="first"/> on, until the caller has run <paramref name="inputs"/> inputs
    /// (times the scale); or just the one to replay.
    /// </summary>
    public static IEnumerable<int> Seeds(int first, long inputs, Func<long> done)
    {
        if (Environment.GetEnvironmentVariable(SeedVariable) is { Length: > 0 } replay)
        {
            yield return replay.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? Convert.ToInt32(replay[2..], 16) : int.Parse(replay);
            yield break;
        }
        long target = inputs * Scale;
        for (int seed = first; done() < target; seed++)
        {
            yield return seed;
        }
    }

    /// <summary>How many times the CI run's inputs this run makes (<c>RTMFP_FUZZ_SCALE</c>, default 1).</summary>
    public static int Scale => int.TryParse(Environment.GetEnvironmentVariable(ScaleVariable), out int k) && k > 0 ? k : 1;

    /// <summary>How long a fuzz test may take before it counts as hung: five minutes per scale unit (CI takes ≈ 20 s).</summary>
    public static TimeSpan Budget => TimeSpan.FromMinutes(5) * Scale;

    /// <summary>The two directions of a case: what the harness sends to the node, and how it answers for the node's peers.</summary>
    public static (Random Inbound, Random Outbound) Randoms(int seed) => (new Random(seed), new Random(seed ^ 0x5EED_0B0D));

    public static string Replay(string test, int seed, long input) =>
        $"seed {seed} (0x{seed:x8}), input {input}; replay: {SeedVariable}={seed} dotnet test tests/Fuzz.Tests -c Release --filter FullyQualifiedName~{test}";

    public static double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}

/// <summary>A handler threw (or a bound broke) on a fuzz input: the message says which seed and input replay it.</summary>
internal sealed class FuzzFailure(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The slowest input of a run by the CPU time its thread spent on it (a loaded CI machine stretches wall time, not
/// that), with the wall time beside it and the seed and index that replay it.
/// </summary>
internal sealed class SlowestInput
{
    public long CpuNanoseconds { get; private set; }
    public long WallTicks { get; private set; }
    public string Where { get; private set; } = "none";

    public long Start(out long wall)
    {
        wall = Stopwatch.GetTimestamp();
        return ThreadCpu.Nanoseconds();
    }

    public void Stop(long cpuStart, long wallStart, int seed, long input, string kind)
    {
        long cpu = ThreadCpu.Nanoseconds() - cpuStart;
        WallTicks = Math.Max(WallTicks, Stopwatch.GetTimestamp() - wallStart);
        if (cpu > CpuNanoseconds)
        {
            CpuNanoseconds = cpu;
            Where = $"seed {seed}, input {input} ({kind})";
        }
    }

    public override string ToString() => $"{CpuNanoseconds / 1e6:F2} ms of CPU at {Where} (longest wall time {FuzzRun.Milliseconds(WallTicks):F2} ms)";
}

/// <summary>CPU time of the calling thread (clock_gettime(CLOCK_THREAD_CPUTIME_ID), Linux: where CI runs).</summary>
internal static partial class ThreadCpu
{
    private const int ClockThreadCpuTime = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    public static long Nanoseconds() => ClockGetTime(ClockThreadCpuTime, out var t) == 0 ? t.Seconds * 1_000_000_000 + t.Nanoseconds : 0;
}
