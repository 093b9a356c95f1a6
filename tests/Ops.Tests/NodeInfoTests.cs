using Rtmfp.Cluster;
using System.Net.Sockets;
using System.Text.Json;
using Akka.Cluster;

namespace Rtmfp.Ops.Tests;

public class NodeInfoTests(SharedNode shared)
{
    private OpsNode Node => shared.Node;

    private async Task<JsonElement> InfoAsync()
    {
        var r = await Cli.RunAsync(Node.Port, "node", "info", "--json");
        Assert.Equal(0, r.ExitCode);
        return r.Json;
    }

    [Fact(Timeout = 60_000)]
    public async Task Node_info_reports_identity_runtime_and_resources()
    {
        var info = await InfoAsync();

        Assert.Equal(Akka.Cluster.Cluster.Get(Node.System).SelfAddress.ToString(), info.GetProperty("address").GetString());
        Assert.Equal("Up", info.GetProperty("status").GetString());
        Assert.Equal(["gateway", "groups", "sessions"], info.GetProperty("roles").EnumerateArray().Select(e => e.GetString()));
        Assert.StartsWith("Akka ", info.GetProperty("akkaVersion").GetString());
        Assert.Equal(Environment.ProcessId, info.GetProperty("processId").GetInt32());
        Assert.True(TimeSpan.Parse(info.GetProperty("uptime").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > TimeSpan.Zero);
        Assert.True(info.GetProperty("gc").GetProperty("heapSizeBytes").GetInt64() > 0);
        Assert.True(info.GetProperty("gc").GetProperty("workingSetBytes").GetInt64() > 0);
        Assert.True(info.GetProperty("threadPool").GetProperty("threads").GetInt32() > 0);
        var rtmfp = info.GetProperty("rtmfp");
        foreach (var name in new[] { "rtmfp.gateway.packets", "rtmfp.gateway.packets.dropped", "rtmfp.handshake.started", "rtmfp.session.open" })
        {
            Assert.True(rtmfp.TryGetProperty(name, out _), name);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Rtmfp_counters_move_when_the_gateway_receives_datagrams()
    {
        long before = (await InfoAsync()).GetProperty("rtmfp").GetProperty("rtmfp.gateway.packets").GetInt64();

        using var udp = new UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        var junk = new byte[64];
        new Random(7).NextBytes(junk);
        for (int i = 0; i < 3; i++)
        {
            await udp.SendAsync(junk, Node.GatewayEndPoint);
        }

        long after = before;
        for (int i = 0; i < 50 && after < before + 3; i++)
        {
            await Task.Delay(100);
            after = (await InfoAsync()).GetProperty("rtmfp").GetProperty("rtmfp.gateway.packets").GetInt64();
        }
        Assert.True(after >= before + 3, $"packets.in {before} -> {after}");
    }

    [Fact(Timeout = 60_000)]
    public async Task Node_info_prints_key_value_rows_in_plain_text()
    {
        var r = await Cli.RunAsync(Node.Port, "node", "info");

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("\nroles ", r.Out.Replace("\r", "", StringComparison.Ordinal));
        Assert.Contains("gateway,groups,sessions", r.Out);
        Assert.Contains("rtmfp.gateway.packets", r.Out);
        Assert.Contains("threadpool.threads", r.Out);
    }
}
