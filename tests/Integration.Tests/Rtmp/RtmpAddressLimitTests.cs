using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Rtmfp.Rtmp;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Integration.Tests.Rtmp;

/// <summary>
/// One client host cannot take every RTMP connection of the node (Rtmp:MaxConnectionsPerAddress, docs/rtmp.md): its
/// connections beyond the limit are reset at accept while another host's are served, and a closed one makes room; nor
/// connect faster than Rtmp:ConnectsPerAddressPerSecond beyond a burst of three seconds' worth.
/// Other loopback addresses (127.0.0.2, 127.0.0.3) stand for other client hosts.
/// </summary>
public sealed class RtmpAddressLimitTests
{
    private const int PerAddress = 2;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private static readonly IPAddress HostA = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress HostB = IPAddress.Parse("127.0.0.3");

    [Fact(Timeout = 60_000)]
    public async Task A_host_beyond_its_connections_is_reset_at_once_while_another_host_is_served()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var node = await RunningNode.StartAsync(("Rtmfp:Rtmp:MaxConnectionsPerAddress", PerAddress.ToString()));
        var listener = node.Host.Services.GetRequiredService<RtmpListener>();
        var endpoint = new IPEndPoint(IPAddress.Loopback, Ffmpeg.RtmpEndpoint(node).Port);
        var clients = new List<RawRtmpClient>();
        try
        {
            for (int i = 0; i < PerAddress; i++)
            {
                clients.Add(await RawRtmpClient.ConnectAsync(endpoint, from: HostA));
                await clients[^1].ConnectAppAsync(endpoint, "live", ct);
            }
            Assert.Equal(PerAddress, listener.OpenConnectionsFrom(HostA));

            // One more from the same host: reset at accept, counted under its own reason.
            try
            {
                var extra = await RawRtmpClient.ConnectAsync(endpoint, from: HostA);
                clients.Add(extra);
                var closedAfter = await extra.WaitClosedAsync(TimeSpan.FromSeconds(5));
                Assert.True(closedAfter < TimeSpan.FromSeconds(1.5), $"the connection beyond the address's limit was still open after {closedAfter}");
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                // the reset overtook the connect: closed at once too
            }
            await BadInputTests.WaitUntil(() => listener.Metrics.RefusedCountFor(RtmpRefusal.AddressLimit) == 1, Patience);
            Assert.Equal(0, listener.Metrics.RefusedCountFor(RtmpRefusal.ConnectionLimit));
            Assert.Equal(PerAddress, listener.OpenConnectionsFrom(HostA));

            // Another host is served meanwhile.
            var other = await RawRtmpClient.ConnectAsync(endpoint, from: HostB);
            clients.Add(other);
            await other.ConnectAppAsync(endpoint, "live", ct);
            await other.SendCommandAsync(0, "createStream", 2, AmfNull.Instance);
            await other.ReadCommandAsync("_result", ct);

            // A connection of the first host closes: its slot is given back, and the host connects again.
            await clients[0].DisposeAsync();
            await BadInputTests.WaitUntil(() => listener.OpenConnectionsFrom(HostA) == PerAddress - 1, Patience);
            var again = await RawRtmpClient.ConnectAsync(endpoint, from: HostA);
            clients.Add(again);
            await again.ConnectAppAsync(endpoint, "live", ct);
            Assert.Equal(PerAddress, listener.OpenConnectionsFrom(HostA));
            Assert.Equal(1, listener.Metrics.RefusedCountFor(RtmpRefusal.AddressLimit));
        }
        finally
        {
            foreach (var c in clients)
            {
                await c.DisposeAsync();
            }
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_host_connecting_faster_than_its_rate_is_reset_beyond_its_burst_and_connects_again_later()
    {
        const int Attempts = 10, Burst = 3; // 1 a second, three seconds' worth at once
        var ct = TestContext.Current.CancellationToken;
        var hostC = IPAddress.Parse("127.0.0.4");
        await using var node = await RunningNode.StartAsync(("Rtmfp:Rtmp:ConnectsPerAddressPerSecond", "1"));
        var listener = node.Host.Services.GetRequiredService<RtmpListener>();
        var endpoint = new IPEndPoint(IPAddress.Loopback, Ffmpeg.RtmpEndpoint(node).Port);
        var clients = new List<RawRtmpClient>();
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (int i = 0; i < Attempts; i++)
            {
                try
                {
                    clients.Add(await RawRtmpClient.ConnectAsync(endpoint, from: hostC));
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
                {
                    // reset before the connect returned: refused too
                }
            }
            // Every attempt decided: held open, or refused for the rate (nothing else applies here).
            await BadInputTests.WaitUntil(
                () => listener.OpenConnectionsFrom(hostC) + listener.Metrics.RefusedCountFor(RtmpRefusal.RateLimit) == Attempts, Patience);
            int admitted = listener.OpenConnectionsFrom(hostC);
            Assert.InRange(admitted, Burst, Burst + (int)Math.Ceiling(clock.Elapsed.TotalSeconds));
            Assert.True(admitted < Attempts, $"all {Attempts} connects within {clock.Elapsed} were admitted");

            // Another host is served meanwhile.
            var other = await RawRtmpClient.ConnectAsync(endpoint, from: HostB);
            clients.Add(other);
            await other.ConnectAppAsync(endpoint, "live", ct);

            // A second later the host has a token again and is served.
            await Task.Delay(1_100, ct);
            var again = await RawRtmpClient.ConnectAsync(endpoint, from: hostC);
            clients.Add(again);
            await again.ConnectAppAsync(endpoint, "live", ct);
            await again.SendCommandAsync(0, "createStream", 2, AmfNull.Instance);
            await again.ReadCommandAsync("_result", ct);
        }
        finally
        {
            foreach (var c in clients)
            {
                await c.DisposeAsync();
            }
        }
    }
}
