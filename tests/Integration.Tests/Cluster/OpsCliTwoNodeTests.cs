using System.Text.Json;
using Rtmfp.Client;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.OpsCli;

namespace Rtmfp.Integration.Tests.Cluster;

/// <summary>
/// rtmfp-ops against a live two-node cluster (two node processes, each with its ops endpoint and a token): cluster show
/// lists both, sessions list shows the sessions each member hosts, sessions close closes a session hosted on either
/// member and its client sees the close, and a request without the token or with a wrong one is refused.
/// </summary>
public sealed class OpsCliTwoNodeTests : IAsyncLifetime
{
    private readonly string _token = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    private readonly string _tokenFile = Path.GetTempFileName();
    private NodeProcess _a = null!;
    private NodeProcess _b = null!;

    public async ValueTask InitializeAsync()
    {
        File.WriteAllText(_tokenFile, _token + "\n");
        var (udpA, tcpA) = NodeProcess.FreePorts();
        var (udpB, tcpB) = NodeProcess.FreePorts();
        string seeds = $"akka.tcp://rtmfp@127.0.0.1:{tcpA}";
        string secret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        (string, string)[] env = [("RTMFP_Cluster__SeedNodes", seeds), ("RTMFP_Gateway__CookieSecret", secret), ("RTMFP_Ops__Token", _token)];
        _a = NodeProcess.Start(udpA, tcpA, env);
        _b = NodeProcess.Start(udpB, tcpB, env);
        foreach (var node in new[] { _a, _b })
        {
            await node.WaitForOutputAsync("joined the cluster", TimeSpan.FromSeconds(90));
            await node.WaitForOutputAsync("RTMFP listening", TimeSpan.FromSeconds(30));
        }
        // Both session regions registered, so entities may be placed on either member.
        using var ready = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while ((await _a.SessionEntitiesAsync(ready.Token)).Count < 2)
        {
            await Task.Delay(200, ready.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        File.Delete(_tokenFile);
    }

    private async Task<(int Code, string Out, string Err)> OpsAsync(NodeProcess node, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await OpsCliApp.RunAsync(["--port", node.OpsPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--timeout", "15", .. args],
            stdout, stderr, interactive: false, TestContext.Current.CancellationToken);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private async Task<JsonElement> JsonAsync(NodeProcess node, params string[] args)
    {
        var (code, output, error) = await OpsAsync(node, ["--json", "--token-file", _tokenFile, .. args]);
        Assert.True(code == 0, $"rtmfp-ops {string.Join(' ', args)} exited {code}: {error}");
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    [Fact(Timeout = 180_000)]
    public async Task Cluster_show_sessions_list_and_close_work_across_both_members_and_the_token_is_required()
    {
        try
        {
            await RunAsync();
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException($"{e.Message}\nA:\n{string.Join("\n", _a.Output.TakeLast(30))}\nB:\n{string.Join("\n", _b.Output.TakeLast(30))}", e);
        }
    }

    private async Task RunAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var members = (await JsonAsync(_a, "cluster", "show")).GetProperty("members").EnumerateArray().Select(m => m.GetProperty("address").GetString()).ToList();
        Assert.Equal(new[] { _a.Address, _b.Address }.Order(), members.Order());

        // Sessions until each member hosts at least one (entities are placed by session ID, whatever the gateway).
        var clients = new List<RtmfpConnection>();
        try
        {
            Dictionary<string, int> hosted;
            do
            {
                var gateway = clients.Count % 2 == 0 ? _a.Gateway : _b.Gateway;
                clients.Add(await RtmfpConnection.ConnectAsync($"rtmfp://{gateway}/live", cancellationToken: ct));
                hosted = await _a.SessionEntitiesAsync(ct);
            }
            while (clients.Count < 12 && !(hosted.GetValueOrDefault(_a.Address) > 0 && hosted.GetValueOrDefault(_b.Address) > 0));
            Assert.True(hosted.GetValueOrDefault(_a.Address) > 0 && hosted.GetValueOrDefault(_b.Address) > 0, "the sessions all landed on one member");

            // Asked on B, answered for both: every client's session, each on the member hosting it.
            var listed = (await JsonAsync(_b, "sessions", "list")).GetProperty("sessions").EnumerateArray().ToList();
            Assert.Equal(clients.Count, listed.Count);
            Assert.Equal(hosted.GetValueOrDefault(_a.Address), listed.Count(s => s.GetProperty("node").GetString() == _a.Address));
            Assert.Equal(hosted.GetValueOrDefault(_b.Address), listed.Count(s => s.GetProperty("node").GetString() == _b.Address));

            // Close the session of one client hosted on B, by peer ID, through A's endpoint.
            var onB = listed.First(s => s.GetProperty("node").GetString() == _b.Address);
            string peer = onB.GetProperty("peerId").GetString()!;
            var victim = clients.Single(c => Convert.ToHexStringLower(c.PeerId.Span) == peer);
            var closed = (await JsonAsync(_a, "sessions", "close", "--peer", peer)).GetProperty("sessions").EnumerateArray().ToList();
            Assert.Equal(onB.GetProperty("sessionId").GetUInt32(), Assert.Single(closed).GetProperty("sessionId").GetUInt32());
            Assert.Equal(RtmfpCloseReason.RemoteClose, await victim.Closed.WaitAsync(TimeSpan.FromSeconds(20), ct));
            Assert.All(clients.Where(c => c != victim), c => Assert.False(c.Closed.IsCompleted));
            await TwoNodesWait(async () => (await JsonAsync(_a, "sessions", "list")).GetProperty("sessions").GetArrayLength() == clients.Count - 1);
            var survivor = clients.First(c => c != victim);
            var show = await JsonAsync(_a, "peers", "show", Convert.ToHexStringLower(survivor.PeerId.Span));
            Assert.Single(show.GetProperty("sessions").EnumerateArray());

            // No token, a wrong one: refused with exit code 1 and a reason; nothing ran.
            var (code, _, error) = await OpsAsync(_a, "sessions", "list");
            Assert.Equal(1, code);
            Assert.Contains("requires a token", error);
            string wrong = Path.GetTempFileName();
            File.WriteAllText(wrong, new string('0', 64));
            (code, _, error) = await OpsAsync(_a, "--token-file", wrong, "sessions", "close", "--peer", Convert.ToHexStringLower(survivor.PeerId.Span));
            File.Delete(wrong);
            Assert.Equal(1, code);
            Assert.Contains("wrong token", error);
            Assert.False(survivor.Closed.IsCompleted);
            bool Refused(string l) => l.Contains("ops request refused", StringComparison.Ordinal);
            bool Closed(string l) => l.Contains($"session {onB.GetProperty("sessionId").GetUInt32()}", StringComparison.Ordinal) && l.Contains("asked by", StringComparison.Ordinal);
            await NodeProcess.EventuallyAsync(() => _a.Output.Any(Refused) && _a.Output.Any(Closed), TimeSpan.FromSeconds(5));
            Assert.Contains(_a.Output, Refused);
            Assert.Contains(_a.Output, Closed);
        }
        finally
        {
            foreach (var c in clients)
            {
                await c.DisposeAsync();
            }
        }
    }

    private static async Task TwoNodesWait(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 15 s");
            await Task.Delay(200);
        }
    }
}
