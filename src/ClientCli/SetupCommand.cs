using System.Diagnostics;
using System.Globalization;
using System.Net;
using Rtmfp.Client;
using Rtmfp.Client.Diagnostics;

namespace Rtmfp.ClientCli;

/// <summary>
/// <c>rtmfp setup</c>: the cost of a whole session to the server (bench/session-setup.sh). Each session is a handshake,
/// one Ping round trip (RFC 7016 §2.3.9) and an orderly close (§3.5.5), a fresh identity each (so a fresh DH key pair
/// on our side, as Flash clients do). After a warm-up it watches the server idle, then runs the measured sessions and
/// reads the server's CPU time (<see cref="ProcessCpu"/>) around them: per session, and net of the idle rate.
/// </summary>
internal static class SetupCommand
{
    public static async Task<int> RunAsync(SetupSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        if (await Connector.TryResolveAsync(settings.Connect, output, cancellationToken).ConfigureAwait(false) is not ({ } candidates, { } epd))
        {
            return ExitCodes.Timeout;
        }
        await using var client = new RtmfpClient(settings.Connect.ToOptions(), 1);
        var run = new SetupRun(client, candidates, epd, settings.Concurrent);

        var warmup = await run.RunAsync(settings.Warmup, cancellationToken).ConfigureAwait(false);
        output.WriteLine($"warm-up: {warmup.Ok} sessions ok, {warmup.Failed} failed");
        await Task.Delay(settings.Settle, cancellationToken).ConfigureAwait(false);

        double idleShare = 0;
        bool watched = settings.ServerPid > 0;
        if (watched && settings.Idle > TimeSpan.Zero)
        {
            var (idle, seconds, _) = await WatchAsync(settings.ServerPid,
                () => Task.Delay(settings.Idle, cancellationToken)).ConfigureAwait(false);
            idleShare = idle.Milliseconds / 1000 / seconds;
            output.WriteLine(Invariant($"idle: {idle.Milliseconds:0} ms of CPU in {seconds:0.00} s = {100 * idleShare:0.00} % of a core"));
        }

        SetupResult measured = default;
        double wall = 0;
        ProcessCpu active = default;
        var (cpu, window, first) = await WatchAsync(watched ? settings.ServerPid : 0, async () =>
        {
            long started = Stopwatch.GetTimestamp();
            measured = await run.RunAsync(settings.Sessions, cancellationToken).ConfigureAwait(false);
            wall = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (watched)
            {
                ProcessCpu.TryRead(settings.ServerPid, out active);
            }
            // A server keeps a closed session 19 s for retransmitted Close Requests (RFC 7016 §3.5.5.2); only then does
            // it let the session go (our node: the entity stops, its record is deleted), which belongs to its cost.
            await Task.Delay(settings.Settle, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);

        output.WriteLine(Invariant($"sessions: {measured.Ok} ok, {measured.Failed} failed in {wall:0.00} s ({measured.Ok / wall:0} per second); ") +
            Invariant($"handshake ms {LoadCommand.Format(run.Handshakes.Summarize())}; ping ms {LoadCommand.Format(run.Pings.Summarize())}"));
        if (watched)
        {
            int n = Math.Max(1, measured.Ok);
            double perSession = cpu.Milliseconds / n;
            double net = (cpu.Milliseconds - idleShare * window * 1000) / n;
            output.WriteLine(Invariant($"server CPU: {cpu.Milliseconds:0} ms (user {cpu.UserTicks * 1000 / ProcessCpu.TicksPerSecond:0}, ") +
                Invariant($"system {cpu.SystemTicks * 1000 / ProcessCpu.TicksPerSecond:0}) in {window:0.00} s: ") +
                Invariant($"{(active - first).Milliseconds:0} ms while the sessions ran, {(cpu + first - active).Milliseconds:0} ms after (lingering closed sessions, teardown)"));
            output.WriteLine(Invariant($"per-session-ms={perSession:0.000} net-of-idle-ms={net:0.000} ") +
                Invariant($"user-ms={cpu.UserTicks * 1000 / ProcessCpu.TicksPerSecond / n:0.000} ") +
                Invariant($"system-ms={cpu.SystemTicks * 1000 / ProcessCpu.TicksPerSecond / n:0.000} idle-pct={100 * idleShare:0.00}"));
        }
        return measured.Failed == 0 && measured.Ok > 0 && warmup.Failed == 0 ? ExitCodes.Success : ExitCodes.Failed;
    }

    /// <summary>The server's CPU time (zero when <paramref name="pid"/> is 0) and the wall seconds around <paramref name="work"/>.</summary>
    private static async Task<(ProcessCpu Cpu, double Seconds, ProcessCpu Before)> WatchAsync(int pid, Func<Task> work)
    {
        ProcessCpu before = default, after = default;
        if (pid > 0 && !ProcessCpu.TryRead(pid, out before))
        {
            throw new InvalidOperationException($"cannot read /proc/{pid}/stat");
        }
        long started = Stopwatch.GetTimestamp();
        await work().ConfigureAwait(false);
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (pid > 0 && !ProcessCpu.TryRead(pid, out after))
        {
            throw new InvalidOperationException($"server process {pid} ended during the run");
        }
        return (after - before, seconds, before);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private readonly record struct SetupResult(int Ok, int Failed);

    /// <summary>Sessions handed out to <c>concurrent</c> workers, each running one session after the other.</summary>
    private sealed class SetupRun(RtmfpClient client, IPEndPoint[] candidates, byte[] epd, int concurrent)
    {
        public LatencyStatistics Handshakes { get; } = new();
        public LatencyStatistics Pings { get; } = new();

        public async Task<SetupResult> RunAsync(int count, CancellationToken cancellationToken)
        {
            int next = -1, ok = 0, failed = 0;
            async Task WorkerAsync()
            {
                while (Interlocked.Increment(ref next) < count)
                {
                    if (await OneAsync(cancellationToken).ConfigureAwait(false))
                    {
                        Interlocked.Increment(ref ok);
                    }
                    else
                    {
                        Interlocked.Increment(ref failed);
                    }
                }
            }
            var workers = new Task[Math.Min(concurrent, Math.Max(count, 1))];
            for (int i = 0; i < workers.Length; i++)
            {
                workers[i] = WorkerAsync();
            }
            await Task.WhenAll(workers).ConfigureAwait(false);
            return new SetupResult(ok, failed);
        }

        private async Task<bool> OneAsync(CancellationToken cancellationToken)
        {
            long started = Stopwatch.GetTimestamp();
            RtmfpConnection connection;
            try
            {
                connection = await client.ConnectAsync(candidates, epd, cancellationToken).ConfigureAwait(false);
            }
            catch (RtmfpConnectException)
            {
                return false;
            }
            Handshakes.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            try
            {
                var rtt = await connection.PingAsync(cancellationToken).ConfigureAwait(false);
                Pings.Add(rtt.TotalMilliseconds);
                var reason = await connection.CloseAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken)
                    .ConfigureAwait(false);
                return reason == RtmfpCloseReason.LocalClose;
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException)
            {
                connection.Abort();
                return false;
            }
        }
    }
}
