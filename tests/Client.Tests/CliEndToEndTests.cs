using System.Globalization;
using System.CommandLine;
using Rtmfp.ClientCli;

namespace Rtmfp.Client.Tests;

/// <summary>The rtmfp commands run against the in-test responder on 127.0.0.1.</summary>
public class CliEndToEndTests
{
    private static Task<(int ExitCode, string Output)> RunAsync(params string[] args) => CliRun.RunAsync(args);

    [Fact(Timeout = 60_000)]
    public async Task Ping_reports_handshake_and_replies()
    {
        using var server = FakeResponder.Start();
        var (code, output) = await RunAsync("ping", server.Uri, "-n", "3", "-i", "0.05", "--dh", "2", "--bind", "127.0.0.1");
        Assert.True(code == ExitCodes.Success, output);
        Assert.Contains("DH group 2", output);
        Assert.Contains("3 pings, 3 replies", output);
    }

    [Fact(Timeout = 60_000)]
    public async Task Echo_verifies_every_message()
    {
        using var server = FakeResponder.Start();
        var (code, output) = await RunAsync("echo", server.Uri, "--count", "300", "--size", "2000", "--dh", "5", "--bind", "127.0.0.1",
            "--hmac", "required", "--sseq", "required");
        Assert.True(code == ExitCodes.Success, output);
        Assert.Contains("300 messages of 2000 bytes echoed in order", output);
        Assert.Contains("HMAC 16/16, SSEQ", output);
    }

    [Fact(Timeout = 60_000)]
    public async Task Echo_survives_a_move_to_a_new_local_port()
    {
        using var server = FakeResponder.Start();
        var (code, output) = await RunAsync("echo", server.Uri, "--count", "200", "--size", "100", "--move-after", "50", "--dh", "2", "--bind", "127.0.0.1");
        Assert.True(code == ExitCodes.Success, output);
        Assert.Contains("after 50 echoes", output);
        Assert.Contains("200 messages of 100 bytes echoed in order", output);
        Assert.Equal(1, server.Handshakes);
        // The 150 messages after the move leave from the new port, and the responder sends their echoes there only once
        // it verified that address: so the change is counted before the last echo arrives, not left pending at the close.
        Assert.Equal(1, server.AddressChanges);
    }

    [Fact(Timeout = 60_000)]
    public async Task Echo_to_a_dead_server_exits_with_the_timeout_code()
    {
        using var server = FakeResponder.Start();
        server.Silent = true;
        var (code, output) = await RunAsync("echo", server.Uri, "--timeout", "0.3", "--dh", "2", "--bind", "127.0.0.1");
        Assert.Equal(ExitCodes.Timeout, code);
        Assert.Contains("cannot connect", output);
    }

    [Fact(Timeout = 60_000)]
    public async Task Echo_on_a_rejected_flow_fails()
    {
        using var server = FakeResponder.Start(rejectEcho: true);
        var (code, output) = await RunAsync("echo", server.Uri, "--count", "5", "--dh", "2", "--bind", "127.0.0.1", "--wait", "5");
        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains("rejected", output);
    }

    [Fact(Timeout = 60_000)]
    public async Task Load_opens_every_session_and_reports_percentiles()
    {
        using var server = FakeResponder.Start();
        var (code, output) = await RunAsync("load", server.Uri, "--sessions", "6", "--duration", "1.5", "--rate", "20", "--loops", "2",
            "--dh", "2", "--bind", "127.0.0.1", "--live", "false");
        Assert.True(code == ExitCodes.Success, output);
        Assert.Contains("handshakes ok 6, failed 0", output);
        Assert.Contains("mismatches: 0, sessions lost: 0", output);
        Assert.Matches(@"latency ms p50 [\d.]+ p90 [\d.]+ p99 [\d.]+ max [\d.]+ \(n=\d+\)", output);
        Assert.Equal(6, server.Handshakes);
    }

    [Fact(Timeout = 60_000)]
    public async Task Load_reports_each_sessions_longest_silence_and_logs_when_it_ended()
    {
        using var server = FakeResponder.Start();
        string log = Path.Combine(Path.GetTempPath(), $"silences-{Guid.NewGuid():N}.csv");
        try
        {
            // The responder goes quiet for 1.5 s in the middle of the run (a node lost), then answers again.
            var run = RunAsync("load", server.Uri, "--sessions", "4", "--duration", "6", "--rate", "20", "--loops", "1",
                "--dh", "2", "--bind", "127.0.0.1", "--live", "false", "--silence-log", log);
            await Task.Delay(1500, TestContext.Current.CancellationToken);
            long silentFrom = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            server.Silent = true;
            await Task.Delay(1500, TestContext.Current.CancellationToken);
            server.Silent = false;
            long silentTo = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var (code, output) = await run;
            Assert.True(code == ExitCodes.Success, output);
            Assert.Contains("over 1 s: 4 (0 not answered again)", output);
            var rows = File.ReadAllLines(log).Skip(1).Select(l => l.Split(',')).ToList();
            Assert.Equal(4, rows.Count);
            foreach (var row in rows)
            {
                double start = double.Parse(row[1], CultureInfo.InvariantCulture), end = double.Parse(row[2], CultureInfo.InvariantCulture);
                Assert.InRange(start, silentFrom - 500, silentFrom + 200); // the last answer before the responder went quiet
                Assert.InRange(end, silentTo, silentTo + 4000); // the first one after (retransmission back-off)
                Assert.Equal("1", row[4]);
            }
        }
        finally
        {
            File.Delete(log);
        }
    }
}
