using Rtmfp.Cluster;
using System.Net;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Rtmfp.Gateway;
using Rtmfp.Node;
using Rtmfp.Ops.Server;

namespace Rtmfp.Ops.Tests;

/// <summary>A node started in-process with its gateway and ops endpoint on ephemeral ports of 127.0.0.1.</summary>
public sealed class OpsNode : IAsyncDisposable
{
    private OpsNode(IHost host)
    {
        Host = host;
        OpsEndPoint = host.Services.GetRequiredService<OpsServer>().LocalEndPoint
            ?? throw new InvalidOperationException("the ops endpoint did not bind");
        GatewayEndPoint = host.Services.GetRequiredService<GatewayService>().Endpoints[0].LocalEndPoint;
        System = host.Services.GetRequiredService<ActorSystem>();
    }

    public IHost Host { get; }
    public IPEndPoint OpsEndPoint { get; }
    public IPEndPoint GatewayEndPoint { get; }
    public ActorSystem System { get; }
    public int Port => OpsEndPoint.Port;

    public static async Task<OpsNode> StartAsync()
    {
        var host = NodeHost.Build([], new Dictionary<string, string?>
        {
            ["Rtmfp:Gateway:Endpoints"] = "127.0.0.1:0",
            ["Rtmfp:Gateway:HandshakeWorkers"] = "1",
            ["Rtmfp:Ops:Endpoint"] = "127.0.0.1:0",
            ["Rtmfp:Rtmp:Address"] = "127.0.0.1",
            ["Rtmfp:Rtmp:Port"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        await host.StartAsync();
        var node = new OpsNode(host);
        // Commands about members and regions need the node Up.
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Akka.Cluster.Cluster.Get(node.System).RegisterOnMemberUp(() => up.TrySetResult());
        await up.Task.WaitAsync(TimeSpan.FromSeconds(15));
        // ...and the session coordinator singleton running, so region-stats can name its host.
        for (int i = 0; i < 150; i++)
        {
            var id = await node.System.ActorSelection("/system/sharding/sessionCoordinator/singleton").Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(1));
            if (id.Subject is not null)
            {
                break;
            }
            await Task.Delay(100);
        }
        // ...and the session region registered with it (GetClusterShardingStats lists no member before).
        var region = Akka.Cluster.Sharding.ClusterSharding.Get(node.System).ShardRegion("session");
        for (int i = 0; i < 150; i++)
        {
            var stats = await region.Ask<Akka.Cluster.Sharding.ClusterShardingStats>(
                new Akka.Cluster.Sharding.GetClusterShardingStats(TimeSpan.FromSeconds(1)), TimeSpan.FromSeconds(2));
            if (stats.Regions.Count > 0)
            {
                break;
            }
            await Task.Delay(100);
        }
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync(TimeSpan.FromSeconds(10));
        Host.Dispose();
    }
}

/// <summary>One node shared by the read-mostly tests (the leave test starts its own).</summary>
public sealed class SharedNode : IAsyncLifetime
{
    private OpsNode? _node;

    public OpsNode Node => _node ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync() => _node = await OpsNode.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }
}
