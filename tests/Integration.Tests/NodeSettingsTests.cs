using Microsoft.Extensions.DependencyInjection;
using Rtmfp.Cluster;
using Rtmfp.Node;

namespace Rtmfp.Integration.Tests;

public class NodeSettingsTests
{
    [Theory]
    [InlineData("Rtmfp:Roles", "gateway,web", "'web' is not a role")]
    [InlineData("Rtmfp:Gateway:Endpoints", "localhost", "Rtmfp:Gateway:Endpoints: 'localhost' is not an IP endpoint")]
    [InlineData("Rtmfp:Gateway:CookieSecret", "zz", "Rtmfp:Gateway:CookieSecret: must be hexadecimal")]
    [InlineData("Rtmfp:Gateway:CookieSecret", "00ff", "at least 16 bytes")]
    [InlineData("Rtmfp:Sessions:IdleTimeout", "forever", "Rtmfp:Sessions:IdleTimeout: 'forever' is not a duration")]
    [InlineData("Rtmfp:Persistence:Provider", "Cassandra", "Rtmfp:Persistence:Provider: 'Cassandra' is not one of Memory, Redis")]
    [InlineData("Rtmfp:Cluster:SeedNodes", "10.0.0.1:4053", "is not an Akka address")]
    [InlineData("Rtmfp:Gateway:HandshakeWorkers", "0", "Rtmfp:Gateway:HandshakeWorkers: '0' is not an integer in [1, 256]")]
    [InlineData("Rtmfp:Gateway:AmplificationFactor", "0", "Rtmfp:Gateway:AmplificationFactor: '0' is not an integer in [1, 20]")]
    [InlineData("Rtmfp:Gateway:SessionsPerAddress", "lots", "Rtmfp:Gateway:SessionsPerAddress: 'lots' is not an integer")]
    [InlineData("Rtmfp:Gateway:HandshakesPerPrefix", "5", "Rtmfp:Gateway:HandshakesPerPrefix: must be at least Rtmfp:Gateway:HandshakesPerAddress (10)")]
    [InlineData("Rtmfp:Gateway:EphemeralKeyLifetime", "-1s", "Rtmfp:Gateway:EphemeralKeyLifetime: '-1s' is not a duration")]
    [InlineData("Rtmfp:Gateway:LookupsPerAddress", "0", "Rtmfp:Gateway:LookupsPerAddress: '0' is not an integer in [1, 1000000]")]
    [InlineData("Rtmfp:Applications:live", "relay", "Rtmfp:Applications:live: 'relay' is not an application implementation")]
    [InlineData("Rtmfp:Applications:live", "type:No.Such.Type, Nowhere", "Rtmfp:Applications:live: 'type:No.Such.Type, Nowhere' does not name a loadable")]
    [InlineData("Rtmfp:Applications:live", "type:System.String", "does not name a loadable, concrete IFlashApplication type")]
    [InlineData("Rtmfp:Shutdown:GracePeriod", "soon", "Rtmfp:Shutdown:GracePeriod: 'soon' is not a duration")]
    [InlineData("Rtmfp:Health:Endpoint", "9120", "Rtmfp:Health:Endpoint: '9120' is not an IP endpoint")]
    [InlineData("Rtmfp:Log:Format", "xml", "Rtmfp:Log:Format: 'xml' is not one of Plain, Json")]
    [InlineData("Rtmfp:Gateway:UnverifiedBytesPerAddress", "100", "Rtmfp:Gateway:UnverifiedBytesPerAddress: '100' is not an integer in [1500,")]
    [InlineData("Rtmfp:Cluster:HeartbeatInterval", "2s", "Rtmfp:Cluster:HeartbeatInterval: 2000 ms must be shorter than Rtmfp:Cluster:HeartbeatPause (2000 ms)")]
    [InlineData("Rtmfp:Cluster:RemovalMargin", "0s", "Rtmfp:Cluster:RemovalMargin: '0s' is not a duration")]
    [InlineData("Rtmfp:Cluster:ShardRetryInterval", "5m", "Rtmfp:Cluster:ShardRetryInterval: '5m'")]
    [InlineData("Rtmfp:Cluster:SystemName", "rtmfp_eu", "Rtmfp:Cluster:SystemName: 'rtmfp_eu' is not an actor system name")]
    [InlineData("Rtmfp:Cluster:SystemName", "-rtmfp", "Rtmfp:Cluster:SystemName: '-rtmfp' is not an actor system name")]
    [InlineData("Rtmfp:Gateway:UnverifiedBytesPerPrefix", "2000", "Rtmfp:Gateway:UnverifiedBytesPerPrefix: must be at least Rtmfp:Gateway:UnverifiedBytesPerAddress (8192)")]
    [InlineData("Rtmfp:Streams:VideoLifetime", "50ms", "Rtmfp:Streams:VideoLifetime: '50ms' is not a duration in")]
    [InlineData("Rtmfp:Rtmp:ConnectsPerAddressPerSecond", "fast", "Rtmfp:Rtmp:ConnectsPerAddressPerSecond: 'fast' is not an integer")]
    [InlineData("Rtmfp:Rtmp:MaxConnectionsPerAddress", "0", "Rtmfp:Rtmp:MaxConnectionsPerAddress: '0' is not an integer in [1, 1000000]")]
    public void A_bad_setting_stops_startup_with_a_message_naming_it(string key, string value, string expected)
    {
        var ex = Assert.Throws<InvalidSettingsException>(() => NodeHost.Build([], [new(key, value)]));
        Assert.Contains(ex.Errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    private const string SeedGroup = "G:027f0201010103010c050e74657374011b00";

    [Theory]
    [InlineData("G:zz", "live/cam", "Rtmfp:Groups:Seeds:0:Group: 'G:zz'")]
    [InlineData(SeedGroup, "cam", "Rtmfp:Groups:Seeds:0:Stream: 'cam' is not application/name")]
    [InlineData(SeedGroup, "live/", "Rtmfp:Groups:Seeds:0:Stream: 'live/' is not application/name")]
    [InlineData(SeedGroup, "", "Rtmfp:Groups:Seeds:0: needs both Group")]
    public void A_bad_group_seed_stops_startup_naming_it(string group, string stream, string expected)
    {
        var ex = Assert.Throws<InvalidSettingsException>(() =>
            NodeHost.Build([], [new("Rtmfp:Groups:Seeds:0:Group", group), new("Rtmfp:Groups:Seeds:0:Stream", stream)]));
        Assert.Contains(ex.Errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void The_responder_key_lifetime_defaults_to_one_second_and_reaches_the_gateway()
    {
        using (var host = NodeHost.Build([], []))
        {
            Assert.Equal(TimeSpan.FromSeconds(1), host.Services.GetRequiredService<Rtmfp.Node.Settings.NodeSettings>().Gateway.EphemeralKeyLifetime);
            Assert.Equal(TimeSpan.FromSeconds(1), host.Services.GetRequiredService<Rtmfp.Gateway.GatewayOptions>().EphemeralKeyLifetime);
        }
        using var perHandshake = NodeHost.Build([], [new("Rtmfp:Gateway:EphemeralKeyLifetime", "0s")]);
        Assert.Equal(TimeSpan.Zero, perHandshake.Services.GetRequiredService<Rtmfp.Gateway.GatewayOptions>().EphemeralKeyLifetime);
    }

    [Fact(Timeout = 60_000)]
    public async Task Media_lifetimes_reach_the_players_of_both_transports_and_the_nodes_fan_out()
    {
        await using var node = await RunningNode.StartAsync(("Rtmfp:Streams:AudioLifetime", "3s"), ("Rtmfp:Streams:VideoLifetime", "1m"));
        var rtmp = node.Host.Services.GetRequiredService<Rtmfp.Rtmp.RtmpRoleOptions>();
        Assert.Equal((TimeSpan.FromSeconds(3), TimeSpan.FromMinutes(1)), (rtmp.ConnectionOptions.AudioLifetime, rtmp.ConnectionOptions.VideoLifetime));
        var fanout = Rtmfp.Sessions.Streams.StreamFanout.Of(node.Host.Services.GetRequiredService<Akka.Actor.ActorSystem>())!;
        Assert.Equal((TimeSpan.FromSeconds(3), TimeSpan.FromMinutes(1)), (fanout.Freshness.AudioLifetime, fanout.Freshness.VideoLifetime));
        using var defaults = NodeHost.Build([], []);
        var streams = defaults.Services.GetRequiredService<Rtmfp.Node.Settings.NodeSettings>().Streams;
        Assert.Equal((TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)), (streams.AudioLifetime, streams.VideoLifetime));
    }

    [Fact]
    public void Two_seeds_of_one_group_are_refused_and_a_good_seed_is_read()
    {
        var ex = Assert.Throws<InvalidSettingsException>(() => NodeHost.Build([], [
            new("Rtmfp:Groups:Seeds:0:Group", SeedGroup), new("Rtmfp:Groups:Seeds:0:Stream", "live/a"),
            new("Rtmfp:Groups:Seeds:1:Group", SeedGroup), new("Rtmfp:Groups:Seeds:1:Stream", "live/b")]));
        Assert.Contains(ex.Errors, e => e.StartsWith("Rtmfp:Groups:Seeds:1:Group: another seed already seeds this group", StringComparison.Ordinal));

        using var host = NodeHost.Build([], [new("Rtmfp:Groups:Seeds:0:Group", SeedGroup), new("Rtmfp:Groups:Seeds:0:Stream", "live/sub/cam")]);
        var seed = Assert.Single(host.Services.GetRequiredService<Rtmfp.Node.Settings.NodeSettings>().Groups.Seeds);
        Assert.Equal(new Rtmfp.Flash.StreamKey("live/sub", "cam"), seed.Stream);
    }

    [Fact]
    public void Redis_provider_without_a_connection_string_is_refused()
    {
        var ex = Assert.Throws<InvalidSettingsException>(() => NodeHost.Build([], [new("Rtmfp:Persistence:Provider", "Redis")]));
        Assert.Contains(ex.Errors, e => e.StartsWith("Rtmfp:Persistence:Redis:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("password=secret", "names no Redis endpoint")]
    [InlineData("127.0.0.1:6379,connectTimeout=soon", "not a valid StackExchange.Redis configuration string")]
    public void Redis_connection_string_that_cannot_work_is_refused(string value, string expected)
    {
        var ex = Assert.Throws<InvalidSettingsException>(() =>
            NodeHost.Build([], [new("Rtmfp:Persistence:Provider", "Redis"), new("Rtmfp:Persistence:Redis", value)]));
        Assert.Contains(ex.Errors, e => e.StartsWith("Rtmfp:Persistence:Redis: ", StringComparison.Ordinal) && e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Environment_variables_map_to_settings_keys()
    {
        var env = new System.Collections.Hashtable
        {
            ["RTMFP_Gateway__Endpoints"] = "127.0.0.1:1",
            ["OTHER"] = "x",
            ["RTMFP_"] = "ignored",
        };
        var mapped = Rtmfp.Node.Settings.NodeSettings.FromEnvironment(env).ToList();
        Assert.Equal([new KeyValuePair<string, string?>("Rtmfp:Gateway:Endpoints", "127.0.0.1:1")], mapped);
    }
}
