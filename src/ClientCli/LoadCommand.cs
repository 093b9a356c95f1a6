using System.Diagnostics;
using System.Net;
using Rtmfp.Client;
using Rtmfp.Client.Diagnostics;
using Spectre.Console;

namespace Rtmfp.ClientCli;

/// <summary>
/// <c>rtmfp load</c>: opens many sessions on shared event loops (at most N handshakes in flight), then each sends
/// echo messages at the given rate until the deadline; reports handshakes/s, round trips/s and latency percentiles.
/// </summary>
internal static class LoadCommand
{
    public static async Task<int> RunAsync(LoadSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        if (await Connector.TryResolveAsync(settings.Connect, output, cancellationToken).ConfigureAwait(false) is not ({ } candidates, { } epd))
        {
            return ExitCodes.Timeout;
        }
        var stats = new LoadStatistics();
        var clock = Stopwatch.StartNew();
        double rampSeconds = 0;
        await using var client = new RtmfpClient(settings.Connect.ToOptions(), settings.Loops);
        using var gate = new SemaphoreSlim(settings.ConcurrentHandshakes);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(settings.Duration);

        var sessions = new Task[settings.Sessions];
        var silences = new SessionSilence[settings.Sessions];
        (long Timestamp, long UnixMs) anchor = (Stopwatch.GetTimestamp(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        for (int i = 0; i < sessions.Length; i++)
        {
            silences[i] = new SessionSilence();
            sessions[i] = RunSessionAsync(i, client, (candidates, epd), settings, stats, silences[i], gate, deadline.Token);
        }
        var all = Task.WhenAll(sessions);
        _ = Task.Run(async () =>
        {
            while (stats.Handshakes + stats.HandshakeFailures < settings.Sessions && !all.IsCompleted)
            {
                await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
            }
            rampSeconds = clock.Elapsed.TotalSeconds;
        }, CancellationToken.None);

        // Until every session ends, once a second: the time and the round trips per second since the last report.
        async Task EverySecondAsync(Action<double, double> report)
        {
            long previousRoundTrips = 0;
            double previousSeconds = 0;
            while (!all.IsCompleted)
            {
                await Task.WhenAny(all, Task.Delay(1000, CancellationToken.None)).ConfigureAwait(false);
                double now = clock.Elapsed.TotalSeconds;
                double rate = (stats.RoundTrips - previousRoundTrips) / Math.Max(now - previousSeconds, 1e-3);
                (previousRoundTrips, previousSeconds) = (stats.RoundTrips, now);
                report(now, rate);
            }
        }

        bool live = settings.Live ?? (ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive);
        if (live)
        {
            await AnsiConsole.Live(BuildTable(settings, stats, 0, default, clock.Elapsed)).StartAsync(ctx => EverySecondAsync((_, rate) =>
            {
                ctx.UpdateTarget(BuildTable(settings, stats, rate, stats.TakeInterval(), clock.Elapsed));
                ctx.Refresh();
            })).ConfigureAwait(false);
        }
        else
        {
            await EverySecondAsync((now, rate) => output.WriteLine($"[{now,6:0.0}s] open {stats.OpenSessions}/{settings.Sessions}, " +
                $"handshakes {stats.Handshakes} ({stats.HandshakeFailures} failed), {rate:0} rt/s, rtt {Format(stats.TakeInterval())}")).ConfigureAwait(false);
        }
        await all.ConfigureAwait(false);

        double elapsed = clock.Elapsed.TotalSeconds;
        if (rampSeconds <= 0)
        {
            rampSeconds = elapsed;
        }
        var handshakes = stats.HandshakeSummary();
        var roundTrips = stats.RoundTripSummary();
        output.WriteLine($"sessions: {settings.Sessions}, handshakes ok {stats.Handshakes}, failed {stats.HandshakeFailures}, " +
            $"{stats.Handshakes / rampSeconds:0.0} handshakes/s over {rampSeconds:0.00} s, handshake ms {Format(handshakes)}");
        output.WriteLine($"round trips: {stats.RoundTrips} of {stats.Sent} sent, {stats.RoundTrips / elapsed:0.0} round trips/s over {elapsed:0.00} s, " +
            $"latency ms {Format(roundTrips)}");
        output.WriteLine($"mismatches: {stats.Mismatches}, sessions lost: {stats.LostSessions}");
        if (settings.Rate > 0)
        {
            await ReportSilencesAsync(settings, silences, anchor, output).ConfigureAwait(false);
        }
        return stats.Handshakes == 0 || stats.Mismatches > 0 || stats.LostSessions > 0 ? ExitCodes.Failed : ExitCodes.Success;
    }

    /// <summary>
    /// The longest silence of each session (percentiles, and how many lasted over a second); with --silence-log, one
    /// line per session with its start and end as Unix milliseconds (bench/cluster.sh compares them with a kill time).
    /// </summary>
    private static async Task ReportSilencesAsync(LoadSettings settings, SessionSilence[] silences, (long Timestamp, long UnixMs) anchor,
        TextWriter output)
    {
        var lengths = new LatencyStatistics();
        int overOneSecond = 0, unanswered = 0;
        foreach (var silence in silences)
        {
            double ms = silence.Length.TotalMilliseconds;
            lengths.Add(ms);
            overOneSecond += ms > 1000 ? 1 : 0;
            unanswered += ms > 1000 && !silence.Answered ? 1 : 0;
        }
        output.WriteLine($"longest silence per session ms {Format(lengths.Summarize())}; over 1 s: {overOneSecond} ({unanswered} not answered again)");
        if (settings.SilenceLog is not { } path)
        {
            return;
        }
        double UnixMs(long timestamp) => anchor.UnixMs + (timestamp - anchor.Timestamp) * 1000.0 / Stopwatch.Frequency;
        await using var log = new StreamWriter(path);
        await log.WriteLineAsync("session,start_unix_ms,end_unix_ms,silence_ms,answered").ConfigureAwait(false);
        for (int i = 0; i < silences.Length; i++)
        {
            var s = silences[i];
            await log.WriteLineAsync(FormattableString.Invariant(
                $"{i},{UnixMs(s.Start):0.0},{UnixMs(s.End):0.0},{s.Length.TotalMilliseconds:0.0},{(s.Answered ? 1 : 0)}")).ConfigureAwait(false);
        }
    }

    public static string Format(LatencySummary s) => s.Count == 0
        ? "n/a"
        : $"p50 {s.P50:0.000} p90 {s.P90:0.000} p99 {s.P99:0.000} max {s.Max:0.000} (n={s.Count})";

    private static Table BuildTable(LoadSettings settings, LoadStatistics stats, double rate, LatencySummary window, TimeSpan elapsed)
    {
        var table = new Table().Title($"rtmfp load {Markup.Escape(settings.Connect.Uri.Text)} — {elapsed.TotalSeconds:0}/{settings.Duration.TotalSeconds:0} s");
        table.AddColumn("metric");
        table.AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("open sessions", $"{stats.OpenSessions}/{settings.Sessions}");
        table.AddRow("handshakes (failed)", $"{stats.Handshakes} ({stats.HandshakeFailures})");
        table.AddRow("round trips/s", $"{rate:0}");
        table.AddRow("round trips total", $"{stats.RoundTrips}");
        table.AddRow("rtt p50 / p90 / p99 / max (ms)", window.Count == 0 ? "n/a" : $"{window.P50:0.000} / {window.P90:0.000} / {window.P99:0.000} / {window.Max:0.000}");
        table.AddRow("mismatches / lost sessions", $"{stats.Mismatches} / {stats.LostSessions}");
        return table;
    }

    private static async Task RunSessionAsync(int index, RtmfpClient client, (IPEndPoint[] Candidates, byte[] Epd) target, LoadSettings settings,
        LoadStatistics stats, SessionSilence silence, SemaphoreSlim gate, CancellationToken deadline)
    {
        RtmfpConnection connection;
        try
        {
            await gate.WaitAsync(deadline).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        try
        {
            long started = Stopwatch.GetTimestamp();
            connection = await client.ConnectAsync(target.Candidates, target.Epd, deadline).ConfigureAwait(false);
            stats.OnHandshake(Stopwatch.GetElapsedTime(started));
        }
        catch (RtmfpConnectException e)
        {
            if (e.Failure != RtmfpConnectFailure.Cancelled)
            {
                stats.OnHandshakeFailed();
            }
            return;
        }
        finally
        {
            gate.Release();
        }

        Task receiver = Task.CompletedTask;
        RtmfpFlow? flow = null;
        try
        {
            if (settings.Rate > 0)
            {
                flow = connection.OpenFlow("echo-load");
                receiver = ReceiveAsync(flow, stats, silence);
                var interval = TimeSpan.FromSeconds(1 / settings.Rate);
                // Seeded phase offset so sessions do not send in lockstep.
                await Task.Delay(interval * new Random(index).NextDouble(), deadline).ConfigureAwait(false);
                using var timer = new PeriodicTimer(interval);
                long sequence = 0;
                do
                {
                    if (!flow.Write(EchoPayload.Create(sequence++, settings.Size)))
                    {
                        break;
                    }
                    stats.OnSent();
                }
                while (await timer.WaitForNextTickAsync(deadline).ConfigureAwait(false));
            }
            else
            {
                await Task.WhenAny(connection.Closed, Task.Delay(Timeout.Infinite, deadline)).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        long ended = Stopwatch.GetTimestamp();
        bool lost = connection.Closed.IsCompleted;
        try
        {
            if (flow is not null && !lost)
            {
                // Let the last echoes come back before closing.
                await flow.FlushAsync().WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
                await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
        }
        try
        {
            await connection.CloseAsync().WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            connection.Abort();
        }
        await receiver.ConfigureAwait(false);
        silence.OnRunEnded(ended);
        stats.OnSessionEnded(lost);
    }

    private static async Task ReceiveAsync(RtmfpFlow flow, LoadStatistics stats, SessionSilence silence)
    {
        long expected = 0;
        try
        {
            await foreach (var message in flow.ReadAllAsync().ConfigureAwait(false))
            {
                silence.OnAnswer(Stopwatch.GetTimestamp());
                if (EchoPayload.TryRead(message.Span, out long sequence, out long timestamp) && sequence == expected)
                {
                    stats.OnRoundTrip(Stopwatch.GetElapsedTime(timestamp).TotalMilliseconds);
                }
                else
                {
                    stats.OnMismatch();
                }
                expected = sequence + 1;
            }
        }
        catch (Exception e) when (e is RtmfpFlowException or InvalidOperationException)
        {
            stats.OnMismatch();
        }
    }
}
