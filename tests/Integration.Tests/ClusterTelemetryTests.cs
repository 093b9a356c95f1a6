using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Rtmfp.Client;
using Rtmfp.Node;

namespace Rtmfp.Integration.Tests;

/// <summary>
/// The sharding gauges (<c>rtmfp.sharding.shards</c>, <c>rtmfp.sharding.entities</c>) poll the node's shard regions
/// only while a reader collects them: a node nobody reads sends its shards nothing (docs/benchmarks.md, session 27).
/// In the "node" collection, alone: every exporter in the process collects every meter named "Rtmfp", so another
/// class's scrape would read this node's gauges too.
/// </summary>
[Collection("node")]
public class ClusterTelemetryTests
{
    [Fact]
    public void Polling_goes_on_until_no_reader_has_collected_for_the_quiet_spell()
    {
        long quiet = (long)ClusterTelemetry.ReaderQuietAfter.TotalMilliseconds;
        Assert.True(ClusterTelemetry.IsRead(1_000, 1_000));
        Assert.True(ClusterTelemetry.IsRead(1_000, 1_000 + quiet - 1));
        Assert.False(ClusterTelemetry.IsRead(1_000, 1_000 + quiet));
        Assert.False(ClusterTelemetry.IsRead(long.MinValue / 2, 0)); // never collected
    }

    [Fact(Timeout = 60_000)]
    public async Task Regions_are_polled_only_once_a_reader_collects_and_the_figures_follow_the_sessions()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var node = await RunningNode.StartAsync();
        var telemetry = node.Host.Services.GetRequiredService<ClusterTelemetry>();
        await using var connection = await RtmfpConnection.ConnectAsync(node.Uri.ToString(), cancellationToken: ct);
        // Nobody reads this node's gauges: its regions are not polled, however long it runs.
        await Task.Delay(ClusterTelemetry.PollInterval + TimeSpan.FromSeconds(1), ct);
        Assert.Equal(0, telemetry.Polls);

        using var reader = new RegionGaugeReader(node.Metrics.Meter);
        // The first collection wakes the poller; a later one sees the open session's entity.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        Dictionary<string, (long Shards, long Entities)> figures;
        while (!(figures = reader.Collect()).TryGetValue("session", out var session) || session.Entities != 1)
        {
            Assert.True(DateTime.UtcNow < deadline, "the session region's figures never showed the open session");
            await Task.Delay(100, ct);
        }
        Assert.InRange(telemetry.Polls, 1, 2);
        Assert.Equal(1, figures["session"].Shards);
    }

    /// <summary>A metrics reader of one node's region gauges, collecting them as an exporter does.</summary>
    private sealed class RegionGaugeReader : IDisposable
    {
        private readonly MeterListener _listener = new();
        private Dictionary<string, (long Shards, long Entities)> _figures = [];

        public RegionGaugeReader(Meter meter)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, meter) && instrument.Name is "rtmfp.sharding.shards" or "rtmfp.sharding.entities")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                string region = "";
                foreach (var tag in tags)
                {
                    if (tag.Key == "akka.shard.region")
                    {
                        region = (string)tag.Value!;
                    }
                }
                var (shards, entities) = _figures.GetValueOrDefault(region);
                _figures[region] = instrument.Name == "rtmfp.sharding.shards" ? (value, entities) : (shards, value);
            });
            _listener.Start();
        }

        public Dictionary<string, (long Shards, long Entities)> Collect()
        {
            _figures = [];
            _listener.RecordObservableInstruments();
            return _figures;
        }

        public void Dispose() => _listener.Dispose();
    }
}
