using Rtmfp.Integration.Tests.Support;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Rtmfp.Persistence.Redis.Health;

namespace Rtmfp.Integration.Tests;

/// <summary>
/// A node with <c>Rtmfp:Persistence:Provider=Redis</c> (issue 9): an unreachable Redis is said at startup, in one
/// Error line naming the setting and the address, and the node keeps running and probing; its readiness signal
/// (<see cref="IRedisHealth"/>) is false then, and true with a Redis that answers.
/// </summary>
public class PersistenceStartupTests
{
    [Fact(Timeout = 60_000)]
    public async Task An_unreachable_Redis_is_one_clear_error_at_startup_and_the_node_keeps_running_not_ready()
    {
        await using var node = await RunningNode.StartAsync(("Rtmfp:Persistence:Provider", "Redis"), ("Rtmfp:Persistence:Redis", "127.0.0.1:1"));
        node.AllowError("Redis is unreachable on purpose", e => e.Message.Contains("is unreachable", StringComparison.Ordinal));

        var health = node.Host.Services.GetRequiredService<IRedisHealth>();
        await WaitUntilAsync(() => node.ErrorLog.Errors.Count > 0);
        var error = Assert.Single(node.ErrorLog.Errors);
        Assert.StartsWith("Rtmfp:Persistence:Redis: Redis at 127.0.0.1:1 is unreachable: ", error.Message);
        Assert.Contains("retrying every 1 s", error.Message);
        Assert.False(health.IsReachable);
        Assert.NotNull(health.LastError);
        Assert.False(node.Host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_reachable_Redis_makes_the_node_ready()
    {
        var redis = TestRedis.ConnectionString;
        await using var node = await RunningNode.StartAsync(("Rtmfp:Persistence:Provider", "Redis"), ("Rtmfp:Persistence:Redis", redis));
        var health = node.Host.Services.GetRequiredService<IRedisHealth>();
        await WaitUntilAsync(() => health.IsReachable);
        Assert.Null(health.LastError);
    }

    [Fact]
    public void A_node_with_the_memory_provider_has_no_Redis_probe()
    {
        var host = Rtmfp.Node.NodeHost.Build([], new Dictionary<string, string?> { ["Rtmfp:Ops:Endpoint"] = "off", ["Rtmfp:Health:Endpoint"] = "off" });
        Assert.Null(host.Services.GetService<IRedisHealth>());
        host.Dispose();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "condition not met within 30 s");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
