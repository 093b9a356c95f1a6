using Rtmfp.Cluster;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Gateway;
using Rtmfp.Node;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Integration.Tests;

/// <summary>
/// A single node started in-process on an ephemeral UDP port of 127.0.0.1. When it is disposed (at the end of
/// the test, or of the test class for a shared node) it fails unless its handler-failure counter
/// (<c>rtmfp.handler.failures</c>) is 0 and it logged nothing at Error or above, except what the test allowed
/// with a reason (<see cref="AllowError"/>).
/// </summary>
public sealed class RunningNode : IAsyncDisposable
{
    private readonly List<AllowedError> _allowed = [];
    private int _disposed;

    private RunningNode(IHost host, ErrorLogCapture errors)
    {
        Host = host;
        ErrorLog = errors;
        // A node without the gateway role has no GatewayService (and no UDP endpoint).
        _gateway = host.Services.GetService<GatewayService>();
        Metrics = host.Services.GetRequiredService<RtmfpMetrics>();
        _endpoint = _gateway?.Endpoints[0].LocalEndPoint;
        // Several in-process nodes share the test process's two cores with the rest of the suite: under that load a
        // sharding coordinator's DData write can outlast Akka's updating-state-timeout (5 s), which Akka logs at Error
        // and retries (seen in ThreeNodeGroupAcceptanceTests at 200 members). A retry is not a failure of ours; an
        // update that never succeeds still fails the test that needs the shard.
        _allowed.Add(new AllowedError("a sharding coordinator's DData update retried under CPU starvation",
            e => e.Category.StartsWith("Akka.Cluster.Sharding", StringComparison.Ordinal)
                && e.Message.Contains("unable to update a distributed state", StringComparison.Ordinal)
                && e.Message.Contains("(retrying)", StringComparison.Ordinal)));
    }

    private readonly GatewayService? _gateway;
    private readonly IPEndPoint? _endpoint;

    public IHost Host { get; }
    public bool HasGateway => _gateway is not null;
    internal GatewayService Gateway => _gateway ?? throw new InvalidOperationException("this node has no gateway role");
    public RtmfpMetrics Metrics { get; }
    /// <summary>The first UDP endpoint, captured at start (it stays known after the node stops).</summary>
    public IPEndPoint Endpoint => _endpoint ?? throw new InvalidOperationException("this node has no gateway role");
    public Uri Uri => new($"rtmfp://{Endpoint}/test");

    public int CachedSessions => Gateway.Gateway?.Cache.Count ?? 0;

    /// <summary>What the node logged at Error or above so far.</summary>
    public ErrorLogCapture ErrorLog { get; }

    /// <summary>
    /// Declares an Error entry this test produces on purpose (a deliberately broken handler, a node stopped under
    /// its peer): the entries <paramref name="matches"/> accepts are not failures. <paramref name="reason"/> says why.
    /// Handler failures are never allowed here: a test that provokes one asserts the count itself and calls
    /// <see cref="AllowHandlerFailures"/>.
    /// </summary>
    public void AllowError(string reason, Func<CapturedError, bool> matches)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        lock (_allowed)
        {
            _allowed.Add(new AllowedError(reason, matches));
        }
    }

    /// <summary>Handler failures this test provoked on purpose and already asserted; the check at dispose subtracts them.</summary>
    public void AllowHandlerFailures(long count, string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        Interlocked.Add(ref _allowedHandlerFailures, count);
    }

    private long _allowedHandlerFailures;

    /// <summary>
    /// Throws when the node counted a handler failure or logged at Error (beyond what the test allowed). Called by
    /// <see cref="DisposeAsync"/>; a test may call it earlier to fail at the point the failure happened.
    /// </summary>
    public void AssertNoFailures()
    {
        var problems = new List<string>();
        long failures = Metrics.HandlerFailureCount - Interlocked.Read(ref _allowedHandlerFailures);
        if (failures != 0)
        {
            problems.Add($"rtmfp.handler.failures is {failures}, expected 0");
        }
        List<AllowedError> allowed;
        lock (_allowed)
        {
            allowed = [.. _allowed];
        }
        foreach (var error in ErrorLog.Errors)
        {
            if (!allowed.Any(a => a.Matches(error)))
            {
                problems.Add("logged at Error: " + error);
            }
        }
        if (problems.Count > 0)
        {
            throw new NodeFailedException($"node {_endpoint?.ToString() ?? "(no gateway)"}:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
        }
    }

    public static Task<RunningNode> StartAsync(params (string Key, string Value)[] settings) => StartAsync(null, settings);

    /// <summary>Starts a node whose services <paramref name="configureServices"/> may replace (after the node's own registrations).</summary>
    public static async Task<RunningNode> StartAsync(Action<IServiceCollection>? configureServices, params (string Key, string Value)[] settings)
    {
        var (host, errors) = Build(configureServices, settings);
        await host.StartAsync();
        return new RunningNode(host, errors);
    }

    /// <summary>
    /// Starts a node that may stop itself while it starts (Akka stops a node whose outbound TLS handshake failed, so
    /// its start can fail waiting for its shard regions): the host and whether its start failed. Stop and dispose it.
    /// </summary>
    public static async Task<(IHost Host, Exception? StartFailure)> StartMayStopAsync(params (string Key, string Value)[] settings)
    {
        var (host, _) = Build(null, settings);
        try
        {
            await host.StartAsync();
            return (host, null);
        }
        catch (Exception e)
        {
            return (host, e);
        }
    }

    private static (IHost Host, ErrorLogCapture Errors) Build(Action<IServiceCollection>? configureServices, (string Key, string Value)[] settings)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["Rtmfp:Gateway:Endpoints"] = "127.0.0.1:0",
            ["Rtmfp:Gateway:HandshakeWorkers"] = "2",
            // Every client of these tests comes from 127.0.0.1: the per-source bounds of a production node (one address,
            // one /24) would throttle the load and many-session tests. The amplification bound stays at its default.
            ["Rtmfp:Gateway:HellosPerAddress"] = "100000",
            ["Rtmfp:Gateway:HellosPerPrefix"] = "100000",
            ["Rtmfp:Gateway:HandshakesPerAddress"] = "100000",
            ["Rtmfp:Gateway:HandshakesPerPrefix"] = "100000",
            ["Rtmfp:Gateway:SessionsPerAddress"] = "1000000",
            ["Rtmfp:Gateway:SessionsPerPrefix"] = "1000000",
            ["Rtmfp:Gateway:LookupsPerAddress"] = "100000",
            ["Rtmfp:Gateway:LookupsPerPrefix"] = "100000",
            ["Rtmfp:Gateway:UnverifiedBytesPerAddress"] = "100000000",
            ["Rtmfp:Gateway:UnverifiedBytesPerPrefix"] = "100000000",
            // Several nodes run in this process: the admin port is covered by tests/Ops.Tests.
            ["Rtmfp:Ops:Endpoint"] = "off",
            ["Rtmfp:Health:Endpoint"] = "off",
            // Clients of these tests are often gone when the node stops: do not wait the production grace for them.
            ["Rtmfp:Shutdown:GracePeriod"] = "2s",
            // RTMP over TCP on a free loopback port (tests/Rtmp.Tests covers it).
            ["Rtmfp:Rtmp:Address"] = "127.0.0.1",
            ["Rtmfp:Rtmp:Port"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (k, v) in settings)
        {
            overrides[k] = v;
        }
        var errors = new ErrorLogCapture();
        var host = NodeHost.Build([], overrides, services =>
        {
            services.AddSingleton<ILoggerProvider>(errors);
            configureServices?.Invoke(services);
        });
        return (host, errors);
    }

    /// <summary>The node's actor system.</summary>
    public Akka.Actor.ActorSystem System => Host.Services.GetRequiredService<Akka.Actor.ActorSystem>();

    /// <summary>This node's cluster address while it runs (null once stopped).</summary>
    private Akka.Actor.Address? ClusterAddress => Volatile.Read(ref _disposed) == 0 ? Akka.Cluster.Cluster.Get(System).SelfAddress : null;

    /// <summary>Waits, at most 15 s, until none of <paramref name="running"/> still lists <paramref name="stopped"/> as a member.</summary>
    private static async Task WaitUntilRemovedAsync(Akka.Actor.Address stopped, RunningNode?[] running)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        foreach (var node in running)
        {
            if (node is null || Volatile.Read(ref node._disposed) != 0)
            {
                continue;
            }
            var cluster = Akka.Cluster.Cluster.Get(node.System);
            while (cluster.State.Members.Any(m => m.Address.Equals(stopped)) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Stops the node, then <see cref="AssertNoFailures"/> (the stop itself must not log at Error either).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await Host.StopAsync(TimeSpan.FromSeconds(10));
        Host.Dispose();
        try
        {
            AssertNoFailures();
        }
        catch (NodeFailedException failure)
        {
            Report(failure);
            throw;
        }
    }

    /// <summary>
    /// A class fixture's failure reaches VSTest's console and trx only as "Test Class Cleanup Failure" with no
    /// message: the check at dispose writes it beside scripts/test.sh's trx files and to stderr, so the cause can be
    /// read. (A test that calls <see cref="AssertNoFailures"/> early to prove it throws writes nothing there.)
    /// </summary>
    private static void Report(NodeFailedException failure)
    {
        Console.Error.WriteLine(failure.Message);
        try
        {
            string results = Path.Combine(RepoPaths.Root, "artifacts", "test-results");
            Directory.CreateDirectory(results);
            File.AppendAllText(Path.Combine(results, "fixture-failures.log"),
                $"{DateTime.UtcNow:O} {failure.Message}{Environment.NewLine}{Environment.NewLine}");
        }
        catch (IOException)
        {
            // the console line above is still there
        }
    }

    /// <summary>
    /// Disposes every node in order, even when one fails its check, then reports all the failures. Before the next
    /// node stops, the nodes still running must have seen the stopped one removed from their cluster (bounded wait):
    /// a shard coordinator writes to a majority of the members it knows, and a node that starts to leave while it
    /// still counts a stopped member waits on that member's replica until Akka's updating-state-timeout (5 s), then
    /// logs at Error. A CI run of ThreeNodeGroupAcceptanceTests failed so, at the last node's stop ("(terminating)",
    /// event ShardHomeDeallocated, in three regions at once). An operator's rolling stop waits the same way.
    /// </summary>
    public static async ValueTask DisposeAllAsync(params RunningNode?[] nodes)
    {
        var failures = new List<Exception>();
        for (int i = 0; i < nodes.Length; i++)
        {
            var node = nodes[i];
            if (node is null)
            {
                continue;
            }
            var address = node.ClusterAddress;
            try
            {
                await node.DisposeAsync();
            }
            catch (NodeFailedException e)
            {
                failures.Add(e);
            }
            if (address is not null)
            {
                await WaitUntilRemovedAsync(address, nodes.AsSpan(i + 1).ToArray());
            }
        }
        if (failures.Count == 1)
        {
            throw failures[0];
        }
        if (failures.Count > 1)
        {
            throw new AggregateException(failures);
        }
    }
}

/// <summary>A node counted a handler failure or logged at Error during a test that did not allow it.</summary>
public sealed class NodeFailedException(string message) : Exception(message);

/// <summary>One node shared by the tests of a class (xunit class fixture).</summary>
public sealed class SharedNode : IAsyncLifetime
{
    private RunningNode? _node;

    public RunningNode Node => _node ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync() => _node = await RunningNode.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }
}
