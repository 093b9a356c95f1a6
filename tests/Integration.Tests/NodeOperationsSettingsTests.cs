using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Node;
using Rtmfp.Node.Settings;

namespace Rtmfp.Integration.Tests;

/// <summary>The operations settings (shutdown, health, log format) and the startup warnings about the configuration.</summary>
public class NodeOperationsSettingsTests
{
    private static NodeSettings Load(params (string Key, string Value)[] values)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: false)
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();
        var (settings, errors) = NodeSettings.Load(configuration);
        Assert.Empty(errors);
        return settings;
    }

    [Fact]
    public void Operations_settings_have_their_documented_defaults_and_read_their_keys()
    {
        var d = Load();
        Assert.Equal(TimeSpan.FromSeconds(10), d.Shutdown.GracePeriod);
        Assert.Equal("127.0.0.1:9120", d.Health.Endpoint?.ToString());
        Assert.Equal(LogFormat.Plain, d.Log.Format);
        Assert.Equal(8192, d.Gateway.SourceLimits.UnverifiedBytesPerAddress);
        Assert.Equal(65536, d.Gateway.SourceLimits.UnverifiedBytesPerPrefix);
        var s = Load(("Rtmfp:Shutdown:GracePeriod", "3s"), ("Rtmfp:Health:Endpoint", "off"), ("Rtmfp:Log:Format", "json"),
            ("Rtmfp:Gateway:UnverifiedBytesPerAddress", "2000"));
        Assert.Equal(TimeSpan.FromSeconds(3), s.Shutdown.GracePeriod);
        Assert.Null(s.Health.Endpoint);
        Assert.Equal(LogFormat.Json, s.Log.Format);
        Assert.Equal(2000, s.Gateway.SourceLimits.UnverifiedBytesPerAddress);
    }

    [Fact]
    public void Every_key_the_node_reads_is_known_and_a_mistyped_one_is_a_warning_with_a_suggestion()
    {
        // appsettings.json, lists, the Applications map, TLS-less cluster keys: nothing unknown.
        Assert.Empty(Load(("Rtmfp:Applications:live", "default"), ("Rtmfp:Cluster:SeedNodes:0", "akka.tcp://rtmfp@127.0.0.1:4053"),
            ("Rtmfp:Gateway:CookieSecret", new string('a', 64)), ("Rtmfp:Groups:MaxMembers", "10")).Warnings);

        var typo = NodeSettings.FromEnvironment(new System.Collections.Hashtable { ["RTMFP_Gatway__Endpoints"] = "127.0.0.1:1935" }).Single();
        var warnings = Load((typo.Key, typo.Value!), ("Rtmfp:Sesions:IdleTimeout", "5s"), ("Rtmfp:Nonsense", "1")).Warnings;
        Assert.Equal(3, warnings.Count);
        Assert.Contains(warnings, w => w.StartsWith("Rtmfp:Gatway:Endpoints is not a setting", StringComparison.Ordinal) && w.EndsWith("did you mean Rtmfp:Gateway:Endpoints?", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.StartsWith("Rtmfp:Sesions:IdleTimeout", StringComparison.Ordinal) && w.Contains("Rtmfp:Sessions:IdleTimeout", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.StartsWith("Rtmfp:Nonsense is not a setting of this node and is ignored", StringComparison.Ordinal));
    }

    [Fact]
    public void A_gateway_with_seeds_and_no_shared_cookie_secret_is_warned_about()
    {
        string seed = "akka.tcp://rtmfp@127.0.0.1:4053";
        Assert.Contains(Load(("Rtmfp:Cluster:SeedNodes", seed)).Warnings, w => w.StartsWith("Rtmfp:Gateway:CookieSecret is not set", StringComparison.Ordinal));
        Assert.Empty(Load(("Rtmfp:Cluster:SeedNodes", seed), ("Rtmfp:Gateway:CookieSecret", new string('b', 64))).Warnings);
        Assert.Empty(Load().Warnings);
        Assert.Empty(Load(("Rtmfp:Cluster:SeedNodes", seed), ("Rtmfp:Roles", "sessions")).Warnings);
    }

    [Fact(Timeout = 90_000)]
    public async Task Json_logs_are_one_object_per_line_with_the_startup_summary_and_the_typo_warning()
    {
        var ports = NodeProcess.FreePorts();
        await using var node = NodeProcess.Start(ports.Udp, ports.Tcp, ("RTMFP_Log__Format", "json"), ("RTMFP_Gatway__Endpoints", "127.0.0.1:1"));
        await node.WaitForOutputAsync("rtmfp-node started", TimeSpan.FromSeconds(60));
        var entries = new List<JsonElement>();
        foreach (var line in node.Output.Where(l => l.Length > 0).ToList())
        {
            using var json = JsonDocument.Parse(line);
            entries.Add(json.RootElement.Clone());
        }
        Assert.All(entries, e => Assert.True(e.TryGetProperty("LogLevel", out _) && e.TryGetProperty("Category", out _) && e.TryGetProperty("Timestamp", out _), e.ToString()));
        var warning = Assert.Single(entries, e => e.GetProperty("LogLevel").GetString() == "Warning");
        Assert.Equal(3010, warning.GetProperty("EventId").GetInt32());
        Assert.Contains("RTMFP_Gatway__Endpoints", warning.GetProperty("Message").GetString(), StringComparison.Ordinal);
        var summary = Assert.Single(entries, e => e.GetProperty("EventId").GetInt32() == 3011).GetProperty("Message").GetString()!;
        Assert.Contains($"udp 127.0.0.1:{ports.Udp}", summary, StringComparison.Ordinal);
        Assert.Contains("roles gateway,sessions,groups", summary, StringComparison.Ordinal);
        Assert.Contains($"health http://127.0.0.1:{node.HealthPort}/health/", summary, StringComparison.Ordinal);
        Assert.Contains("persistence memory", summary, StringComparison.Ordinal);
        // Akka's own lines come through the same pipeline.
        Assert.Contains(entries, e => e.GetProperty("Category").GetString()!.StartsWith("Akka", StringComparison.Ordinal));
    }
}
