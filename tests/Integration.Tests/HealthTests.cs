using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using Rtmfp.Integration.Tests.Support;

namespace Rtmfp.Integration.Tests;

/// <summary>
/// The node's probes over HTTP (Rtmfp:Health:Endpoint): live, startup and ready, with readiness false before the node
/// joined its cluster and while a configured Redis does not answer; and Akka's errors reaching the host's loggers.
/// </summary>
[Collection("node")]
public class HealthTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private static async Task<HttpStatusCode> ProbeAsync(int port, string path)
    {
        using var response = await Http.GetAsync($"http://127.0.0.1:{port}{path}", TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    private static async Task WaitForStatusAsync(int port, string path, HttpStatusCode expected, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        HttpStatusCode? last = null;
        while (clock.Elapsed < timeout)
        {
            try
            {
                last = await ProbeAsync(port, path);
                if (last == expected)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        Assert.Fail($"{path} was {last?.ToString() ?? "unanswered"}, not {expected}, after {timeout}");
    }

    [Fact(Timeout = 150_000)]
    public async Task Readiness_is_false_before_the_node_joined_and_true_after()
    {
        int seedPort = NodeProcess.FreePorts().Tcp, healthPort = NodeProcess.FreePorts().Tcp;
        string seed = $"akka.tcp://rtmfp@127.0.0.1:{seedPort}";
        // The node's only seed is not running: it cannot join.
        var starting = RunningNode.StartAsync(("Rtmfp:Cluster:SeedNodes", seed), ("Rtmfp:Health:Endpoint", $"127.0.0.1:{healthPort}"),
            ("Rtmfp:Cluster:JoinTimeout", "120s"));
        RunningNode? joiner = null, seedNode = null;
        try
        {
            await WaitForStatusAsync(healthPort, "/health/live", HttpStatusCode.OK, TimeSpan.FromSeconds(60));
            for (int i = 0; i < 5; i++)
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, await ProbeAsync(healthPort, "/health/ready"));
                await Task.Delay(200, TestContext.Current.CancellationToken);
            }
            Assert.Equal(HttpStatusCode.NotFound, await ProbeAsync(healthPort, "/health/nothing"));

            seedNode = await RunningNode.StartAsync(("Rtmfp:Cluster:Port", seedPort.ToString(CultureInfo.InvariantCulture)), ("Rtmfp:Cluster:SeedNodes", seed));
            joiner = await starting.WaitAsync(TimeSpan.FromSeconds(90), TestContext.Current.CancellationToken);
            await WaitForStatusAsync(healthPort, "/health/ready", HttpStatusCode.OK, TimeSpan.FromSeconds(60));
            Assert.Equal(HttpStatusCode.OK, await ProbeAsync(healthPort, "/health/startup"));
            Assert.Equal(HttpStatusCode.OK, await ProbeAsync(healthPort, "/health/live"));
        }
        finally
        {
            joiner ??= await starting.WaitAsync(TimeSpan.FromSeconds(90), CancellationToken.None);
            await RunningNode.DisposeAllAsync(joiner, seedNode);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task Readiness_is_false_while_the_configured_Redis_is_down()
    {
        _ = TestRedis.ConnectionString; // scripts/test.sh installed redis-server (this test starts its own on another port)
        int redisPort = NodeProcess.FreePorts().Tcp, healthPort = NodeProcess.FreePorts().Tcp;
        using var redis = new OwnRedis(redisPort);
        redis.Start();
        await using var node = await RunningNode.StartAsync(("Rtmfp:Persistence:Provider", "Redis"), ("Rtmfp:Persistence:Redis", $"127.0.0.1:{redisPort}"),
            ("Rtmfp:Health:Endpoint", $"127.0.0.1:{healthPort}"));
        node.AllowError("Redis is stopped on purpose", e => e.Message.Contains("unreachable", StringComparison.Ordinal));
        await WaitForStatusAsync(healthPort, "/health/ready", HttpStatusCode.OK, TimeSpan.FromSeconds(60));

        redis.Stop();
        await WaitForStatusAsync(healthPort, "/health/ready", HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.OK, await ProbeAsync(healthPort, "/health/live"));

        redis.Start();
        await WaitForStatusAsync(healthPort, "/health/ready", HttpStatusCode.OK, TimeSpan.FromSeconds(30));
    }

    private sealed class Crashing : ReceiveActor
    {
        public Crashing() => Receive<string>(m => throw new InvalidOperationException(m));
    }

    [Fact(Timeout = 60_000)]
    public async Task An_error_Akka_logs_reaches_the_hosts_loggers()
    {
        await using var node = await RunningNode.StartAsync();
        string marker = $"bridge-{Guid.NewGuid():N}";
        node.AllowError("the actor crashes on purpose", e => e.ToString().Contains(marker, StringComparison.Ordinal));
        var system = node.Host.Services.GetRequiredService<ActorSystem>();
        // The supervisor logs the actor's failure through Akka's event stream at Error.
        system.ActorOf(Props.Create(() => new Crashing())).Tell(marker);
        var clock = Stopwatch.StartNew();
        CapturedError? seen = null;
        while (seen is null && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            seen = node.ErrorLog.Errors.FirstOrDefault(e => e.ToString().Contains(marker, StringComparison.Ordinal));
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        Assert.NotNull(seen);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Error, seen.Level);
        Assert.IsType<InvalidOperationException>(seen.Exception);
    }

    /// <summary>A redis-server of this test's own (the shared one of RTMFP_TEST_REDIS must stay up), stopped and started again on one port.</summary>
    private sealed class OwnRedis(int port) : IDisposable
    {
        private Process? _process;

        public void Start()
        {
            var psi = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no" })
            {
                psi.ArgumentList.Add(a);
            }
            _process = Process.Start(psi)!;
            _process.OutputDataReceived += static (_, _) => { };
            _process.ErrorDataReceived += static (_, _) => { };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(15))
            {
                Assert.False(_process.HasExited, $"redis-server exited with {(_process.HasExited ? _process.ExitCode : 0)} (port {port} taken?)");
                try
                {
                    using var probe = new TcpClient();
                    probe.Connect(IPAddress.Loopback, port);
                    return;
                }
                catch (SocketException)
                {
                    Thread.Sleep(20);
                }
            }
            throw new TimeoutException("redis-server did not listen");
        }

        public void Stop()
        {
            if (_process is { HasExited: false })
            {
                _process.Kill();
                _process.WaitForExit();
            }
            _process?.Dispose();
            _process = null;
        }

        public void Dispose() => Stop();
    }
}
