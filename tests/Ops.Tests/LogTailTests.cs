using Akka.Event;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Rtmfp.Ops.Tests;

public class LogTailTests(SharedNode shared)
{
    private OpsNode Node => shared.Node;

    private ILogger Logger => Node.Host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Rtmfp.Ops.Tests");

    [Fact(Timeout = 60_000)]
    public async Task Log_tail_returns_recent_lines_and_filters_by_level()
    {
        var marker = "warning-marker-" + Guid.NewGuid();
        Logger.LogWarning("{Marker} was logged", marker);

        var all = await Cli.RunAsync(Node.Port, "log", "tail", "--lines", "2000", "--json");
        Assert.Equal(0, all.ExitCode);
        var entry = Assert.Single(all.JsonLines, e => e.GetProperty("message").GetString()!.Contains(marker, StringComparison.Ordinal));
        Assert.Equal("Warning", entry.GetProperty("level").GetString());
        Assert.Equal("Rtmfp.Ops.Tests", entry.GetProperty("category").GetString());

        var errorsOnly = await Cli.RunAsync(Node.Port, "log", "tail", "--level", "Error", "--json");
        Assert.Equal(0, errorsOnly.ExitCode);
        Assert.DoesNotContain(marker, errorsOnly.Out);
        Assert.All(errorsOnly.JsonLines, e => Assert.Contains(e.GetProperty("level").GetString(), new[] { "Error", "Critical" }));
    }

    [Fact(Timeout = 60_000)]
    public async Task Log_tail_lines_bounds_the_answer_and_keeps_the_newest()
    {
        for (int i = 0; i < 5; i++)
        {
            Logger.LogWarning("numbered line {Index}", i);
        }
        var last = "last-marker-" + Guid.NewGuid();
        Logger.LogWarning("{Marker}", last);

        var r = await Cli.RunAsync(Node.Port, "log", "tail", "-n", "2", "--json");

        Assert.Equal(0, r.ExitCode);
        Assert.Equal(2, r.JsonLines.Count);
        var seq = r.JsonLines.Select(e => e.GetProperty("sequence").GetInt64()).ToList();
        // The two newest lines, oldest first: consecutive, and no older than our marker, logged before the request.
        // (The node is shared with tests running in parallel, so a line of theirs may have come after the marker.)
        Assert.Equal(seq[0] + 1, seq[1]);
        var all = await Cli.RunAsync(Node.Port, "log", "tail", "-n", "2000", "--json");
        long marker = Assert.Single(all.JsonLines, e => e.GetProperty("message").GetString() == last).GetProperty("sequence").GetInt64();
        Assert.True(seq[1] >= marker, $"newest line {seq[1]} is older than the marker {marker}");
    }

    [Fact(Timeout = 60_000)]
    public async Task Akka_log_events_are_captured_too()
    {
        var marker = "akka-marker-" + Guid.NewGuid();
        Node.System.Log.Warning("{0} from akka", marker);

        Cli.Outcome r = null!;
        for (int i = 0; i < 30; i++)
        {
            r = await Cli.RunAsync(Node.Port, "log", "tail", "--level", "Warning", "--lines", "2000", "--json");
            if (r.Out.Contains(marker, StringComparison.Ordinal))
            {
                break;
            }
            await Task.Delay(100);
        }
        var entry = Assert.Single(r.JsonLines, e => e.GetProperty("message").GetString()!.Contains(marker, StringComparison.Ordinal));
        // Through the node's one log pipeline (AkkaLogBridge): the category is the Akka class that logged.
        Assert.StartsWith("Akka", entry.GetProperty("category").GetString());
    }

    [Fact(Timeout = 60_000)]
    public async Task Log_tail_follow_streams_new_lines_until_cancelled()
    {
        var stdout = new StringWriter();
        var synced = TextWriter.Synchronized(stdout);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var marker = "follow-marker-" + Guid.NewGuid();
        var run = Rtmfp.OpsCli.OpsCliApp.RunAsync(
            ["--port", Node.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "log", "tail", "-n", "0", "--follow", "--json"],
            synced, TextWriter.Null, interactive: false, cts.Token);

        bool seen = false;
        for (int i = 0; i < 100 && !seen; i++)
        {
            Logger.LogWarning("{Marker} while following", marker);
            await Task.Delay(100);
            lock (synced)
            {
                seen = stdout.ToString().Contains(marker, StringComparison.Ordinal);
            }
        }
        Assert.True(seen, "the followed line did not arrive");
        Assert.False(run.IsCompleted);

        await cts.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(5)));

        // The endpoint noticed the client leaving and keeps serving others.
        var r = await Cli.RunAsync(Node.Port, "cluster", "leader", "--json");
        Assert.Equal(0, r.ExitCode);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_bad_level_is_an_error()
    {
        var r = await Cli.RunAsync(Node.Port, "log", "tail", "--level", "Loud");

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("'Loud' is not a log level", r.Err);
    }
}
