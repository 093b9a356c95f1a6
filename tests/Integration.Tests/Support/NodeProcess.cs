using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Rtmfp.Integration.Tests.Support;

/// <summary>
/// A node as its own process (the published rtmfp-node.dll beside the tests), for what an in-process node cannot
/// show: SIGKILL, exit codes, separate heaps. Output is kept; <see cref="Kill"/> is SIGKILL (no shutdown at all).
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output;

    private NodeProcess(Process process, IPEndPoint gateway, int remotingPort, int opsPort)
    {
        OpsPort = opsPort;
        _process = process;
        Gateway = gateway;
        RemotingPort = remotingPort;
        _output = ClientProcess.KeepLines(process);
    }

    public IPEndPoint Gateway { get; }

    public int RemotingPort { get; }

    /// <summary>The node's ops endpoint on 127.0.0.1 (rtmfp-ops protocol: one JSON request line, one JSON answer line).</summary>
    public int OpsPort { get; }

    /// <summary>The node's health listener on 127.0.0.1 (/health/live, /health/ready, /health/startup).</summary>
    public int HealthPort { get; private init; }

    public string Address => $"akka.tcp://rtmfp@127.0.0.1:{RemotingPort}";

    public IEnumerable<string> Output => _output;

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code once <see cref="HasExited"/>.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>The ops token this node was started with (RTMFP_Ops__Token), sent with this class's own ops requests.</summary>
    public string? OpsToken { get; init; }

    public static NodeProcess Start(int gatewayPort, int remotingPort, params (string Name, string Value)[] environment)
    {
        int opsPort = FreePorts().Tcp;
        int healthPort = FreePorts().Tcp;
        var dll = Path.Combine(AppContext.BaseDirectory, "rtmfp-node.dll");
        var psi = new ProcessStartInfo("dotnet", $"\"{dll}\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // scripts/test.sh's own variable is not a node setting (the node would warn about an unknown Rtmfp:TEST_REDIS).
        psi.Environment.Remove("RTMFP_TEST_REDIS");
        psi.Environment["RTMFP_Gateway__Endpoints"] = $"127.0.0.1:{gatewayPort}";
        psi.Environment["RTMFP_Gateway__HandshakeWorkers"] = "1";
        psi.Environment["RTMFP_Rtmp__Address"] = "127.0.0.1";
        psi.Environment["RTMFP_Rtmp__Port"] = "0";
        psi.Environment["RTMFP_Cluster__Port"] = remotingPort.ToString();
        psi.Environment["RTMFP_Ops__Endpoint"] = $"127.0.0.1:{opsPort}";
        psi.Environment["RTMFP_Health__Endpoint"] = $"127.0.0.1:{healthPort}";
        // Every client of these tests comes from 127.0.0.1 (see RunningNode for the same overrides).
        foreach (var key in new[] { "HellosPerAddress", "HellosPerPrefix", "HandshakesPerAddress", "HandshakesPerPrefix", "LookupsPerAddress", "LookupsPerPrefix" })
        {
            psi.Environment[$"RTMFP_Gateway__{key}"] = "100000";
        }
        psi.Environment["RTMFP_Gateway__UnverifiedBytesPerAddress"] = "100000000";
        psi.Environment["RTMFP_Gateway__UnverifiedBytesPerPrefix"] = "100000000";
        foreach (var (name, value) in environment)
        {
            psi.Environment[name] = value;
        }
        return new NodeProcess(Process.Start(psi)!, new IPEndPoint(IPAddress.Loopback, gatewayPort), remotingPort, opsPort)
        {
            OpsToken = psi.Environment.TryGetValue("RTMFP_Ops__Token", out var token) ? token : null,
            HealthPort = healthPort,
        };
    }

    /// <summary>Until a line containing <paramref name="text"/> was printed.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!_output.Any(l => l.Contains(text, StringComparison.Ordinal)))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"node exited ({_process.ExitCode}) before printing '{text}':{Environment.NewLine}{string.Join(Environment.NewLine, _output.TakeLast(40))}");
            }
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"node did not print '{text}' within {timeout}:{Environment.NewLine}{string.Join(Environment.NewLine, _output.TakeLast(40))}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Until <paramref name="condition"/> holds or <paramref name="timeout"/> passed (no exception: the caller asserts).
    /// A node writes its console in batches of up to 50 ms (BatchedConsoleWriter), so a line about what just happened
    /// may arrive a moment after the client saw it happen.
    /// </summary>
    public static async Task EventuallyAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition() && deadline.Elapsed < timeout)
        {
            await Task.Delay(20);
        }
    }

    /// <summary>Session entities per cluster member (address → entities), from this node's ops endpoint.</summary>
    public Task<Dictionary<string, int>> SessionEntitiesAsync(CancellationToken cancellationToken) =>
        RegionEntitiesAsync("session", cancellationToken);

    /// <summary>Entities of <paramref name="region"/> per cluster member whose region the coordinator knows.</summary>
    public async Task<Dictionary<string, int>> RegionEntitiesAsync(string region, CancellationToken cancellationToken)
    {
        using var json = await OpsAsync("sharding region-stats", region, cancellationToken);
        var counts = new Dictionary<string, int>();
        if (json.RootElement.TryGetProperty("result", out var result) && result.ValueKind == System.Text.Json.JsonValueKind.Object)
        {
            foreach (var member in result.GetProperty("members").EnumerateArray())
            {
                counts[member.GetProperty("address").GetString()!] = member.GetProperty("entities").GetInt32();
            }
        }
        return counts;
    }

    /// <summary>The member that hosts <paramref name="region"/>'s shard coordinator (the oldest node of its role), or null.</summary>
    public async Task<string?> CoordinatorAsync(string region, CancellationToken cancellationToken)
    {
        using var json = await OpsAsync("sharding region-stats", region, cancellationToken);
        if (json.RootElement.TryGetProperty("result", out var result) && result.ValueKind == System.Text.Json.JsonValueKind.Object)
        {
            foreach (var member in result.GetProperty("members").EnumerateArray())
            {
                if (member.GetProperty("coordinator").GetBoolean())
                {
                    return member.GetProperty("address").GetString();
                }
            }
        }
        return null;
    }

    /// <summary>Whether this node hosts the entity <paramref name="entityId"/> of <paramref name="region"/> (ops shard-state).</summary>
    public async Task<bool> HostsEntityAsync(string region, string entityId, CancellationToken cancellationToken)
    {
        using var json = await OpsAsync("sharding shard-state", region, cancellationToken);
        if (!json.RootElement.TryGetProperty("result", out var result) || result.ValueKind != System.Text.Json.JsonValueKind.Object)
        {
            throw new InvalidOperationException($"ops shard-state --region {region} failed: {json.RootElement}");
        }
        {
            foreach (var shard in result.GetProperty("shards").EnumerateArray())
            {
                foreach (var id in shard.GetProperty("entityIds").EnumerateArray())
                {
                    if (id.GetString() == entityId)
                    {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /// <summary>This node's running totals of its Rtmfp counters (ops node info), e.g. <c>rtmfp.handshake.completed</c>.</summary>
    public async Task<Dictionary<string, long>> RtmfpTotalsAsync(CancellationToken cancellationToken)
    {
        using var json = await OpsAsync("node info", null, cancellationToken);
        if (!json.RootElement.TryGetProperty("result", out var result) || !result.TryGetProperty("rtmfp", out var totals))
        {
            throw new InvalidOperationException($"ops node info failed: {json.RootElement}");
        }
        return totals.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
    }

    private async Task<System.Text.Json.JsonDocument> OpsAsync(string command, string? region, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, OpsPort, cancellationToken);
        using var stream = client.GetStream();
        using var writer = new StreamWriter(stream) { AutoFlush = true, NewLine = "\n" };
        using var reader = new StreamReader(stream);
        string token = OpsToken is null ? "" : $",\"token\":\"{OpsToken}\"";
        string args = region is null ? "" : $",\"args\":{{\"region\":\"{region}\"}}";
        await writer.WriteLineAsync($"{{\"command\":\"{command}\"{args}{token}}}".AsMemory(), cancellationToken);
        var line = await reader.ReadLineAsync(cancellationToken) ?? throw new IOException("the ops endpoint closed");
        return System.Text.Json.JsonDocument.Parse(line);
    }

    /// <summary>
    /// Three node processes on 127.0.0.1 (the first two are seeds, one cookie secret), each with its gateway, session
    /// region registered before this returns.
    /// </summary>
    public static Task<NodeProcess[]> StartThreeAsync(params (string Name, string Value)[] environment) => StartThreeAsync(null, environment);

    /// <summary>The same, node i also serving the gateway <paramref name="extraGateway"/>(i) (e.g. behind <see cref="UdpBalancer"/>).</summary>
    public static async Task<NodeProcess[]> StartThreeAsync(Func<int, IPEndPoint>? extraGateway, params (string Name, string Value)[] environment)
    {
        var ports = Enumerable.Range(0, 3).Select(_ => FreePorts()).ToArray();
        string seeds = $"akka.tcp://rtmfp@127.0.0.1:{ports[0].Tcp},akka.tcp://rtmfp@127.0.0.1:{ports[1].Tcp}";
        string secret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var nodes = ports.Select((p, i) => Start(p.Udp, p.Tcp,
            [("RTMFP_Cluster__SeedNodes", seeds), ("RTMFP_Gateway__CookieSecret", secret),
             ("RTMFP_Gateway__Endpoints", extraGateway is null ? $"127.0.0.1:{p.Udp}" : $"127.0.0.1:{p.Udp},{extraGateway(i)}"), .. environment])).ToArray();
        try
        {
            foreach (var node in nodes)
            {
                await node.WaitForOutputAsync("joined the cluster", TimeSpan.FromSeconds(90));
                await node.WaitForOutputAsync("RTMFP listening", TimeSpan.FromSeconds(30));
            }
            // Every node's session and stream regions registered with their coordinators (otherwise the first shards
            // all go to the nodes that registered first, and a test that needs an entity on a given node never finds one).
            using var ready = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            foreach (string region in (string[])["session", "stream"])
            {
                while ((await nodes[0].RegionEntitiesAsync(region, ready.Token)).Count < 3)
                {
                    await Task.Delay(200, ready.Token);
                }
            }
            return nodes;
        }
        catch
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
            throw;
        }
    }

    /// <summary>Environment a node was started with (to start another one into the same cluster).</summary>
    public IReadOnlyDictionary<string, string?> StartEnvironment => _process.StartInfo.Environment.ToDictionary(e => e.Key, e => e.Value);

    /// <summary>SIGTERM: the node's graceful path (coordinated shutdown, leaving the cluster).</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()])!;
        kill.WaitForExit();
    }

    /// <summary>Until the process exited; its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: the process dies with no coordinated shutdown, as on a machine failure.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>
    /// Lines the node printed at Error or Critical (of its first <paramref name="printed"/> lines when given), but those
    /// the test allowed: "fail:"/"crit:" of the plain console format, "LogLevel":"Error"/"Critical" of the JSON one.
    /// Every handler failure (rtmfp.handler.failures) is logged at Error as well, so this is the rule of the in-process
    /// fixture (RunningNode.AssertNoFailures) for a node seen only through its output.
    /// </summary>
    public IReadOnlyList<string> ErrorLines(int? printed = null)
    {
        List<Func<string, bool>> allowed;
        lock (_allowed)
        {
            allowed = [.. _allowed];
        }
        var lines = new List<string>();
        foreach (var line in _output.Take(printed ?? int.MaxValue))
        {
            if (ErrorLine.IsMatch(line) && !allowed.Any(matches => matches(line)))
            {
                lines.Add(line);
            }
        }
        return lines;
    }

    private static readonly Regex ErrorLine = new(@"^\S+ (fail|crit): |""LogLevel"":""(Error|Critical)""", RegexOptions.Compiled);

    private readonly List<Func<string, bool>> _allowed = [];

    /// <summary>An Error line the test causes on purpose (a node it killed, a dependency it took away).</summary>
    /// <param name="reason">Why the line is expected: documentation for the reader, never printed.</param>
    public void AllowErrorLine(string reason, Func<string, bool> matches)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        lock (_allowed)
        {
            _allowed.Add(matches);
        }
    }

    /// <summary>
    /// On by default: <see cref="DisposeAsync"/> fails on a line at Error. A node's SIGKILL makes its survivors log
    /// Warnings and Info (unreachable, downed, shards re-homed), not Errors (NodeCrashTests passes with the check on); a
    /// test that causes an Error on purpose allows it with <see cref="AllowErrorLine"/>.
    /// </summary>
    public bool FailOnErrorLines { get; set; } = true;

    /// <summary>Throws <see cref="NodeFailedException"/> on a line at Error or Critical the test did not allow.</summary>
    public void AssertNoErrorLines(int? printed = null)
    {
        var lines = ErrorLines(printed);
        if (lines.Count > 0)
        {
            throw new NodeFailedException(
                $"node process {Gateway} (remoting {RemotingPort}) logged at Error:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}");
        }
    }

    /// <summary>Kills the process if it still runs; then, with <see cref="FailOnErrorLines"/>, fails on an Error line it printed.</summary>
    public async ValueTask DisposeAsync()
    {
        // What the node printed before this kill counts; its own kill, or another node's kill at the end of the test, do not.
        int printed = _output.Count;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        // By hand: RTMFP_TEST_NODE_LOGS=<dir> keeps every node's output (one file per node) to read a test's timeline.
        if (Environment.GetEnvironmentVariable("RTMFP_TEST_NODE_LOGS") is { Length: > 0 } logs)
        {
            Directory.CreateDirectory(logs);
            await File.WriteAllLinesAsync(Path.Combine(logs, $"node-{RemotingPort}-{DateTime.UtcNow:HHmmss}.log"), _output.ToArray());
        }
        if (FailOnErrorLines)
        {
            AssertNoErrorLines(printed);
        }
    }

    /// <summary>
    /// A TCP and a UDP port free at the time of the call (the node binds them moments later). Drawn below the kernel's
    /// ephemeral range (Linux: 32768 and up): a port the kernel handed out and took back could go to the next outgoing
    /// connection's local end (a client's, Redis's, remoting's) before the node binds it, which a suite of parallel
    /// tests did (a node's health endpoint: AddressAlreadyInUse). Outside that range only another test's draw can
    /// collide, and each draw is checked by binding it. A port is handed out at most once per test process: a draw
    /// is free only until the node binds it, so a second draw moments later (a node's ops port after its remoting
    /// port) could otherwise return the same number, which a full suite once did.
    /// </summary>
    public static (int Udp, int Tcp) FreePorts() => (FreePort(SocketType.Dgram, ProtocolType.Udp), FreePort(SocketType.Stream, ProtocolType.Tcp));

    private static readonly HashSet<int> HandedOut = new();

    private static int FreePort(SocketType type, ProtocolType protocol)
    {
        for (int attempt = 0; attempt < 200; attempt++)
        {
            int port = Random.Shared.Next(12_000, 32_000);
            lock (HandedOut)
            {
                if (!HandedOut.Add(port))
                {
                    continue;
                }
            }
            using var socket = new Socket(AddressFamily.InterNetwork, type, protocol);
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // taken: draw again
            }
        }
        throw new InvalidOperationException("no free port between 12000 and 32000 after 200 draws");
    }
}
