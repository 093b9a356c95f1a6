using Rtmfp.Integration.Tests.Support;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Rtmfp.Client;
using StackExchange.Redis;

namespace Rtmfp.Integration.Tests;

/// <summary>
/// The node started with what README's configuration table offers beyond the defaults, serving a session each time:
/// Redis persistence (<c>Persistence:Provider=Redis</c>, against the redis-server scripts/test.sh starts) and a
/// Prometheus scrape endpoint (<c>Metrics:Prometheus</c>).
/// </summary>
public class NodeOptionalFeatureTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private static async Task EchoOnceAsync(RunningNode node)
    {
        await using var connection = await RtmfpConnection.ConnectAsync(node.Uri.ToString()).WaitAsync(Patience);
        var flow = connection.OpenFlow("echo");
        await flow.SendAsync("claims"u8.ToArray());
        Assert.Equal("claims"u8.ToArray(), (await flow.Received.ReadAsync().AsTask().WaitAsync(Patience)).ToArray());
    }

    /// <summary>Persists the strings it is sent and answers with every event it holds (recovered ones included).</summary>
    private sealed class Journaled : ReceivePersistentActor
    {
        private readonly List<string> _events = [];

        public Journaled(string persistenceId)
        {
            PersistenceId = persistenceId;
            Recover<string>(_events.Add);
            Command<string>(e => Persist(e, stored =>
            {
                _events.Add(stored);
                Sender.Tell(_events.ToArray());
            }));
            Command<GetEvents>(_ => Sender.Tell(_events.ToArray()));
        }

        public override string PersistenceId { get; }
    }

    private sealed record GetEvents;

    [Fact(Timeout = 90_000)]
    public async Task With_Redis_persistence_the_node_serves_a_session_and_its_actors_journal_to_Redis()
    {
        string redis = TestRedis.ConnectionString;
        string prefix = $"claims-{Guid.NewGuid():N}:";
        using var inspector = await ConnectionMultiplexer.ConnectAsync(redis);
        var db = inspector.GetDatabase();
        try
        {
            await using var node = await RunningNode.StartAsync(
                ("Rtmfp:Persistence:Provider", "Redis"), ("Rtmfp:Persistence:Redis", redis), ("Rtmfp:Persistence:KeyPrefix", prefix));
            await EchoOnceAsync(node);

            // Sessions persist nothing yet (README): what the setting gives the node is its default journal, so an actor
            // of the node's system persists through it, to Redis under the prefix, and a new incarnation recovers.
            var system = node.Host.Services.GetRequiredService<ActorSystem>();
            const string Id = "claims-journal";
            var first = system.ActorOf(Props.Create(() => new Journaled(Id)));
            await first.Ask<string[]>("one", Patience);
            Assert.Equal(["one", "two"], await first.Ask<string[]>("two", Patience));
            Assert.True(await db.KeyExistsAsync($"{prefix}journal:persisted:{Id}"), "no journal key in Redis");
            await first.GracefulStop(Patience);
            var second = system.ActorOf(Props.Create(() => new Journaled(Id)));
            Assert.Equal(["one", "two"], await second.Ask<string[]>(new GetEvents(), Patience));
        }
        finally
        {
            var server = inspector.GetServer(inspector.GetEndPoints()[0]);
            await foreach (var key in server.KeysAsync(pattern: prefix + "*"))
            {
                await db.KeyDeleteAsync(key);
            }
        }
    }

    /// <summary>
    /// In a node process of its own: OpenTelemetry's meter provider sees every meter of its process, and in-process nodes
    /// of other test classes create "Rtmfp" meters too. An instrument of the same identity shares one exported metric, which
    /// OpenTelemetry deactivates (and stops exporting) when any of those meters is disposed, as it is when such a node stops.
    /// </summary>
    [Fact(Timeout = 90_000)]
    public async Task With_a_Prometheus_endpoint_the_node_serves_a_session_and_its_counters_can_be_scraped_and_move()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = new HttpClient { Timeout = Patience };
        var (udp, tcp) = NodeProcess.FreePorts();
        int port = NodeProcess.FreePorts().Tcp;
        await using var node = NodeProcess.Start(udp, tcp, ("RTMFP_Metrics__Prometheus", $"127.0.0.1:{port}"));
        await node.WaitForOutputAsync("RTMFP listening", TimeSpan.FromSeconds(90));
        var scrape = new Uri($"http://127.0.0.1:{port}/metrics");
        string? before = await TryScrapeAsync(http, scrape);
        Assert.True(before is not null, $"nothing serves {scrape}");
        double handshakesBefore = Sum(before, "rtmfp_handshake_completed");

        await using (var connection = await RtmfpConnection.ConnectAsync($"rtmfp://{node.Gateway}/test", cancellationToken: ct).WaitAsync(Patience, ct))
        {
            var flow = connection.OpenFlow("echo");
            await flow.SendAsync("claims"u8.ToArray());
            Assert.Equal("claims"u8.ToArray(), (await flow.Received.ReadAsync(ct).AsTask().WaitAsync(Patience, ct)).ToArray());
        }

        // The exporter caches a scrape briefly, so scrape until the count moves.
        string after = before;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Sum(after, "rtmfp_handshake_completed") < handshakesBefore + 1 && clock.Elapsed < Patience)
        {
            await Task.Delay(100, ct);
            after = await http.GetStringAsync(scrape, ct);
        }
        Assert.True(Sum(after, "rtmfp_handshake_completed") >= handshakesBefore + 1, after);
        Assert.True(Sum(after, "rtmfp_gateway_packets") > 0, after);
        Assert.Matches(new Regex("^# TYPE rtmfp_handshake_completed(_total)? counter", RegexOptions.Multiline), after);
    }

    private static async Task<string?> TryScrapeAsync(HttpClient http, Uri uri)
    {
        try
        {
            return await http.GetStringAsync(uri, TestContext.Current.CancellationToken);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>The sum of every sample of <paramref name="metric"/> (with or without <c>_total</c>, any labels) in a scrape; 0 if absent.</summary>
    private static double Sum(string exposition, string metric) =>
        Regex.Matches(exposition, $@"^{metric}(?:_total)?(?:\{{[^}}]*\}})? ([0-9.eE+-]+)", RegexOptions.Multiline)
            .Sum(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
}
