using Rtmfp.Cluster;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Rtmfp.Node;
using Rtmfp.Node.Settings;
using Rtmfp.Ops.Server;

namespace Rtmfp.Ops.Tests;

public class OpsSettingsTests
{
    [Fact]
    public void The_endpoint_defaults_to_loopback_9110()
    {
        var (settings, errors) = NodeSettings.Load(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());

        Assert.Empty(errors);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9110), settings.Ops.Endpoint);
    }

    [Theory]
    [InlineData("off")]
    [InlineData("OFF")]
    public void Off_registers_no_endpoint(string value)
    {
        using var host = NodeHost.Build([], [new("Rtmfp:Ops:Endpoint", value), new("Rtmfp:Gateway:Endpoints", "127.0.0.1:0")]);

        Assert.Null(host.Services.GetRequiredService<NodeSettings>().Ops.Endpoint);
        Assert.Null(host.Services.GetService<OpsServer>());
    }

    [Fact]
    public void An_endpoint_is_parsed()
    {
        using var host = NodeHost.Build([], [new("Rtmfp:Ops:Endpoint", "[::1]:9999"), new("Rtmfp:Gateway:Endpoints", "127.0.0.1:0")]);

        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 9999), host.Services.GetRequiredService<NodeSettings>().Ops.Endpoint);
        Assert.NotNull(host.Services.GetService<OpsServer>());
    }

    [Theory]
    [InlineData("localhost", "Rtmfp:Ops:Endpoint: 'localhost' is not an IP endpoint")]
    [InlineData("127.0.0.1", "Rtmfp:Ops:Endpoint: '127.0.0.1' is not an IP endpoint")]
    [InlineData("127.0.0.1:1,127.0.0.1:2", "Rtmfp:Ops:Endpoint: must be one endpoint")]
    public void A_bad_endpoint_stops_startup_naming_the_key(string value, string expected)
    {
        var ex = Assert.Throws<InvalidSettingsException>(() => NodeHost.Build([], [new("Rtmfp:Ops:Endpoint", value)]));

        Assert.Contains(ex.Errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_port_already_in_use_leaves_the_node_running_without_the_endpoint()
    {
        using var squatter = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var taken = ((IPEndPoint)squatter.LocalEndpoint).ToString();
        using var host = NodeHost.Build([], new Dictionary<string, string?>
        {
            ["Rtmfp:Ops:Endpoint"] = taken,
            ["Rtmfp:Gateway:Endpoints"] = "127.0.0.1:0",
            ["Rtmfp:Gateway:HandshakeWorkers"] = "1",
            // Only the ops port is under test: RTMP and health on free or no ports, so nothing else can collide.
            ["Rtmfp:Rtmp:Address"] = "127.0.0.1",
            ["Rtmfp:Rtmp:Port"] = "0",
            ["Rtmfp:Health:Endpoint"] = "off",
            ["Logging:LogLevel:Default"] = "Critical",
        });

        await host.StartAsync();
        try
        {
            Assert.Null(host.Services.GetRequiredService<OpsServer>().LocalEndPoint);
            Assert.NotEmpty(host.Services.GetRequiredService<Rtmfp.Gateway.GatewayService>().Endpoints);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static (NodeSettings Settings, IReadOnlyList<string> Errors) Load(params (string Key, string Value)[] values) =>
        NodeSettings.Load(new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build());

    [Fact]
    public void An_endpoint_beyond_loopback_needs_a_token()
    {
        var (_, errors) = Load(("Rtmfp:Ops:Endpoint", "0.0.0.0:9110"));
        Assert.Contains(errors, e => e.StartsWith("Rtmfp:Ops:Endpoint:", StringComparison.Ordinal) && e.Contains("Rtmfp:Ops:Token", StringComparison.Ordinal));

        var (settings, none) = Load(("Rtmfp:Ops:Endpoint", "0.0.0.0:9110"), ("Rtmfp:Ops:Token", "0123456789abcdef0123"));
        Assert.Empty(none);
        Assert.Equal("0123456789abcdef0123", settings.Ops.Token);
    }

    [Fact]
    public void The_token_comes_from_a_file_and_a_short_or_unreadable_one_is_refused()
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "  a-mounted-secret-of-some-length\n");
            var (settings, errors) = Load(("Rtmfp:Ops:TokenFile", file));
            Assert.Empty(errors);
            Assert.Equal("a-mounted-secret-of-some-length", settings.Ops.Token);

            Assert.Contains(Load(("Rtmfp:Ops:Token", "short")).Errors, e => e.StartsWith("Rtmfp:Ops:Token:", StringComparison.Ordinal));
            Assert.Contains(Load(("Rtmfp:Ops:TokenFile", file + ".missing")).Errors, e => e.StartsWith("Rtmfp:Ops:TokenFile:", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
