using Rtmfp.Cluster;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Rtmfp.Gateway;
using Rtmfp.Node;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Integration.Tests;

/// <summary>A single node started in-process on an ephemeral UDP port of 127.0.0.1.</summary>
public sealed class RunningNode : IAsyncDisposable
{
    private RunningNode(IHost host)
    {
        Host = host;
        // A node without the gateway role has no GatewayService (and no UDP endpoint).
        _gateway = host.Services.GetService<GatewayService>();
        Metrics = host.Services.GetRequiredService<RtmfpMetrics>();
        _endpoint = _gateway?.Endpoints[0].LocalEndPoint;
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

    public static async Task<RunningNode> StartAsync(params (string Key, string Value)[] settings)
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
            // Several nodes run in this process: the admin port is covered by tests/Ops.Tests.
            ["Rtmfp:Ops:Endpoint"] = "off",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (k, v) in settings)
        {
            overrides[k] = v;
        }
        var host = NodeHost.Build([], overrides);
        await host.StartAsync();
        return new RunningNode(host);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync(TimeSpan.FromSeconds(10));
        Host.Dispose();
    }
}

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
