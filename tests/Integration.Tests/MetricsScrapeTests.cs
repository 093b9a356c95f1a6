using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rtmfp.Client;
using Rtmfp.Client.Flash;
using Rtmfp.Integration.Tests.Flash;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Integration.Tests;

/// <summary>
/// A node process with its Prometheus listener, driven with handshakes, an echo, a publisher and two players, a
/// refused connect and garbage: the scrape has every metric README documents, with the values that traffic implies
/// (drops by reason equal what was sent), the resource attributes, and every metric a Grafana dashboard queries.
/// </summary>
public sealed partial class MetricsScrapeTests : IAsyncLifetime
{
    private const int Short = 7, BadStartup = 5, UnknownSessions = 9;
    private const string Pod = "rtmfp-metrics-test-0";
    private NodeProcess _node = null!;
    private Uri _metrics = null!;

    public async ValueTask InitializeAsync()
    {
        var (udp, tcp) = NodeProcess.FreePorts();
        int prometheus = NodeProcess.FreePorts().Tcp;
        _metrics = new Uri($"http://127.0.0.1:{prometheus}/metrics");
        _node = NodeProcess.Start(udp, tcp,
            ("RTMFP_Metrics__Prometheus", $"127.0.0.1:{prometheus}"),
            ("RTMFP_Applications__live", "default"),
            ("POD_NAME", Pod),
            ("POD_NAMESPACE", "rtmfp-test"));
        await _node.WaitForOutputAsync("RTMFP listening", TimeSpan.FromSeconds(90));
    }

    public async ValueTask DisposeAsync() => await _node.DisposeAsync();

    [Fact(Timeout = 120_000)]
    public async Task The_scrape_has_every_documented_metric_with_the_values_the_traffic_implies()
    {
        var ct = TestContext.Current.CancellationToken;
        // Before any traffic: every documented series is there already (no "No data" panel), at 0.
        var idle = await ScrapeWhenAsync(s => s.Exports("rtmfp.cluster.members"), ct);
        Assert.Equal(0, idle.Value("rtmfp_gateway_packets_dropped_total", ("error_type", "malformed")));
        Assert.True(idle.Has("rtmfp_handshake_rejected_total", ("error_type", "overload")));

        string url = $"rtmfp://{_node.Gateway}/live";
        await using var echo = await RtmfpConnection.ConnectAsync(url, cancellationToken: ct);
        var echoed = await SessionTests.EchoAsync(echo, 10, i => [(byte)i, 1, 2, 3]);
        Assert.Equal(10, echoed.Count);
        await using var publisher = await FlashNetConnection.ConnectAsync(url, cancellationToken: ct);
        await using var player1 = await FlashNetConnection.ConnectAsync(url, cancellationToken: ct);
        await using var player2 = await FlashNetConnection.ConnectAsync(url, cancellationToken: ct);
        foreach (var player in new[] { player1, player2 })
        {
            await (await player.CreateStreamAsync(ct)).PlayAsync("cam", ct);
        }
        var stream = await publisher.CreateStreamAsync(ct);
        await stream.PublishAsync("cam", cancellationToken: ct);
        FlashClientTests.PublishSynthetic(stream, videoFrames: 10, audioFrames: 20);
        await Assert.ThrowsAnyAsync<Exception>(async () => await FlashNetConnection.ConnectAsync($"rtmfp://{_node.Gateway}/nope", cancellationToken: ct));
        SendGarbage(_node.Gateway);

        // Both players subscribed before the publisher published (PlayAsync returned), so every message is relayed to both.
        long relayed = 2 * FlashClientTests.SyntheticMessageBytes(videoFrames: 10, audioFrames: 20);
        var s = await ScrapeWhenAsync(s => s.Value("rtmfp_stream_players") == 2 && s.Value("rtmfp_stream_relayed_bytes_total") >= relayed
            && s.Value("rtmfp_gateway_key_cache_misses_total") >= UnknownSessions && s.Value("rtmfp_sharding_entities") > 0
            && s.Value("rtmfp_flash_connects_total", ("rtmfp_outcome", "refused")) == 1, ct);

        var missing = DocumentedMetrics().Where(m => !s.Exports(m)).ToList();
        Assert.True(missing.Count == 0, "documented in README but not exported: " + string.Join(", ", missing));
        Assert.Equal(Short, s.Value("rtmfp_gateway_packets_dropped_total", ("error_type", "malformed")));
        Assert.Equal(BadStartup, s.Value("rtmfp_gateway_packets_dropped_total", ("error_type", "startup_invalid")));
        Assert.Equal(0, s.Value("rtmfp_gateway_packets_dropped_total", ("error_type", "decrypt_failed")));
        // Exactly the garbage's unknown session IDs miss, retransmissions or not: a session's keys are cached before its
        // RIKeying leaves, and the one session that closed (the refused connect's, closed by the client) keeps them until
        // its close is complete (RFC 7016 §3.5.5: after the client's Close Acknowledgement, or after the linger), when
        // that client sends nothing more.
        Assert.Equal(UnknownSessions, s.Value("rtmfp_gateway_key_cache_misses_total"));
        Assert.Equal(1, s.Value("rtmfp_flash_connects_total", ("rtmfp_outcome", "refused")));
        Assert.Equal(2, s.Value("rtmfp_stream_players"));
        Assert.Equal(relayed, s.Value("rtmfp_stream_relayed_bytes_total"));
        Assert.Equal(0, s.Value("rtmfp_handshake_rejected_total"));
        // Four sessions open (echo, publisher, two players); the refused connect's session may be closing still.
        Assert.InRange(s.Value("rtmfp_handshake_completed_total"), 5, 5);
        Assert.InRange(s.Value("rtmfp_session_open"), 4, 5);
        Assert.Equal(s.Value("rtmfp_handshake_completed_total"), s.Value("rtmfp_handshake_duration_seconds_count"));
        double meanHandshake = s.Value("rtmfp_handshake_duration_seconds_sum") / s.Value("rtmfp_handshake_duration_seconds_count");
        Assert.InRange(meanHandshake, 1e-5, 5);
        Assert.True(s.Value("rtmfp_handshake_started_total") >= 5);
        Assert.True(s.Value("rtmfp_gateway_packets_total", ("network_io_direction", "receive")) > Short + BadStartup + UnknownSessions);
        Assert.True(s.Value("rtmfp_gateway_io_bytes_total", ("network_io_direction", "transmit")) > s.Value("rtmfp_gateway_packets_total", ("network_io_direction", "transmit")));
        Assert.Equal(3, s.Value("rtmfp_flash_connects_total", ("rtmfp_outcome", "accepted")));
        Assert.Equal(1, s.Value("rtmfp_stream_active"));
        Assert.Equal(1, s.Value("rtmfp_stream_publishers"));
        Assert.True(s.Value("rtmfp_session_rtt_seconds_count") > 0);
        Assert.InRange(s.Value("rtmfp_session_rtt_seconds_sum") / s.Value("rtmfp_session_rtt_seconds_count"), 0, 1);
        Assert.Equal(1, s.Value("rtmfp_cluster_members", ("akka_member_status", "up")));
        Assert.Equal(0, s.Value("rtmfp_cluster_members", ("akka_member_status", "down")));
        Assert.InRange(s.Value("rtmfp_sharding_entities", ("akka_shard_region", "session")), 4, 5);
        Assert.Equal(0, s.Value("rtmfp_handler_failures_total"));
        Assert.True(s.Has("target_info", ("service_name", "rtmfp-node"), ("service_instance_id", Pod), ("k8s_pod_name", Pod), ("k8s_namespace_name", "rtmfp-test")));
    }

    [Fact(Timeout = 120_000)]
    public async Task Every_metric_a_dashboard_queries_is_exported_by_a_live_node()
    {
        var ct = TestContext.Current.CancellationToken;
        // Histograms have series once they have a sample: one session with a measured round trip.
        await using var echo = await RtmfpConnection.ConnectAsync($"rtmfp://{_node.Gateway}/live", cancellationToken: ct);
        Assert.Equal(5, (await SessionTests.EchoAsync(echo, 5, i => [(byte)i])).Count);
        var s = await ScrapeWhenAsync(s => s.Exports("rtmfp.sharding.entities") && s.Exports("rtmfp.session.rtt") && s.Exports("rtmfp.handshake.duration"), ct);
        var dashboards = Directory.GetFiles(Path.Combine(RepoPaths.Root, "deploy", "grafana"), "*.json");
        Assert.True(dashboards.Length >= 5, $"{dashboards.Length} dashboards");
        var problems = new List<string>();
        foreach (var file in dashboards)
        {
            using var json = JsonDocument.Parse(File.ReadAllText(file));
            var variables = json.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray().Select(v => v.GetProperty("name").GetString()).ToHashSet();
            foreach (var required in new[] { "datasource", "namespace", "pod" })
            {
                if (!variables.Contains(required))
                {
                    problems.Add($"{Path.GetFileName(file)}: no ${required} variable");
                }
            }
            int queries = 0;
            foreach (var expr in Expressions(json.RootElement))
            {
                queries++;
                // Label names (in by/without lists and before a matcher) are not metrics.
                string metricsOnly = Regex.Replace(expr, @"\b(by|without)\s*\([^)]*\)", " ");
                foreach (Match m in MetricName().Matches(metricsOnly))
                {
                    if (!s.Names.Contains(m.Value))
                    {
                        problems.Add($"{Path.GetFileName(file)}: {m.Value} (in {expr})");
                    }
                }
            }
            if (queries == 0)
            {
                problems.Add($"{Path.GetFileName(file)}: no query");
            }
        }
        Assert.True(problems.Count == 0, "dashboards name what the node does not export:\n" + string.Join("\n", problems));
    }

    private static IEnumerable<string> Expressions(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in element.EnumerateObject())
            {
                if ((p.Name is "expr" || (p.Name == "query" && p.Value.ValueKind == JsonValueKind.String)) && p.Value.GetString() is { Length: > 0 } e)
                {
                    yield return e;
                }
                else
                {
                    foreach (var inner in Expressions(p.Value))
                    {
                        yield return inner;
                    }
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                foreach (var inner in Expressions(item))
                {
                    yield return inner;
                }
            }
        }
    }

    /// <summary>The first column of README's metrics table.</summary>
    private static List<string> DocumentedMetrics()
    {
        var readme = File.ReadAllLines(Path.Combine(RepoPaths.Root, "README.md"));
        int start = Array.FindIndex(readme, l => l.StartsWith("## Metrics and traces", StringComparison.Ordinal));
        Assert.True(start >= 0, "README has no '## Metrics and traces' section");
        var names = readme.Skip(start + 1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal))
            .Select(l => Regex.Match(l, @"^\| `([a-z0-9_.]+)` \|")).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
        Assert.True(names.Count >= 25, $"README documents {names.Count} metrics");
        return names;
    }

    private async Task<PrometheusScrape> ScrapeWhenAsync(Func<PrometheusScrape, bool> ready, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            PrometheusScrape? scrape = null;
            try
            {
                scrape = await PrometheusScrape.FetchAsync(_metrics, ct);
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }
            if (scrape is not null && (ready(scrape) || DateTime.UtcNow >= deadline))
            {
                return scrape;
            }
            await Task.Delay(250, ct);
        }
    }

    private static void SendGarbage(IPEndPoint to)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var random = new Random(11);
        for (int i = 0; i < Short; i++)
        {
            socket.SendTo(new byte[] { 1, 2, 3, 4, (byte)i }, to);
        }
        var buffer = new byte[48];
        for (int i = 0; i < BadStartup + UnknownSessions; i++)
        {
            random.NextBytes(buffer);
            Multiplex.ScrambleSessionId(buffer, i < BadStartup ? 0u : 0x5EED0000u + (uint)i);
            socket.SendTo(buffer, to);
            Thread.Sleep(2);
        }
    }


    /// <summary>Metric names in a PromQL expression: the families this node exports (rtmfp_*, dotnet_*, target_info).</summary>
    [GeneratedRegex(@"\b(?:(?:rtmfp|dotnet)_[a-zA-Z0-9_]+|target_info)\b(?!\s*(?:=|!=|=~|!~))")]
    private static partial Regex MetricName();
}
