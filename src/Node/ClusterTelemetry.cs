using System.Diagnostics.Metrics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Node;

/// <summary>
/// Cluster gauges on the node's "Rtmfp" meter: <c>rtmfp.cluster.members</c> by <c>akka.member.status</c> as this node
/// sees the membership (every status reported, 0 included, so the series exist from the start),
/// <c>rtmfp.cluster.unreachable</c>, and per shard region (<c>akka.shard.region</c>) the shards and entities this
/// node hosts, polled every <see cref="PollInterval"/> outside any actor (GetShardRegionState; a slow answer only
/// delays the figures).
/// </summary>
internal sealed class ClusterTelemetry : BackgroundService
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(5);

    private static readonly MemberStatus[] Statuses =
        [MemberStatus.Joining, MemberStatus.WeaklyUp, MemberStatus.Up, MemberStatus.Leaving, MemberStatus.Exiting, MemberStatus.Down, MemberStatus.Removed];

    private readonly IServiceProvider _services;
    private volatile ActorSystem? _system;
    private volatile IReadOnlyList<(string Region, int Shards, int Entities)> _regions = [];

    public ClusterTelemetry(IServiceProvider services, RtmfpMetrics metrics)
    {
        _services = services;
        var meter = metrics.Meter;
        meter.CreateObservableGauge("rtmfp.cluster.members", ObserveMembers, "{member}", "Cluster members by akka.member.status, as this node sees them");
        meter.CreateObservableGauge("rtmfp.cluster.unreachable", ObserveUnreachable, "{member}", "Members this node's failure detector marks unreachable");
        meter.CreateObservableGauge("rtmfp.sharding.shards", () => ObserveRegions(shards: true), "{shard}", "Shards this node hosts, by akka.shard.region");
        meter.CreateObservableGauge("rtmfp.sharding.entities", () => ObserveRegions(shards: false), "{entity}", "Entities this node hosts, by akka.shard.region");
    }

    private IEnumerable<Measurement<long>> ObserveMembers()
    {
        var counts = new long[Statuses.Length];
        if (_system is { } system)
        {
            foreach (var member in Akka.Cluster.Cluster.Get(system).State.Members)
            {
                int i = Array.IndexOf(Statuses, member.Status);
                if (i >= 0)
                {
                    counts[i]++;
                }
            }
        }
        var result = new Measurement<long>[Statuses.Length];
        for (int i = 0; i < Statuses.Length; i++)
        {
            result[i] = new Measurement<long>(counts[i], new KeyValuePair<string, object?>("akka.member.status", StatusName(Statuses[i])));
        }
        return result;
    }

    private long ObserveUnreachable() => _system is { } system ? Akka.Cluster.Cluster.Get(system).State.Unreachable.Count : 0;

    private IEnumerable<Measurement<long>> ObserveRegions(bool shards)
    {
        var regions = _regions;
        var result = new Measurement<long>[regions.Count];
        for (int i = 0; i < regions.Count; i++)
        {
            result[i] = new Measurement<long>(shards ? regions[i].Shards : regions[i].Entities,
                new KeyValuePair<string, object?>("akka.shard.region", regions[i].Region));
        }
        return result;
    }

    internal static string StatusName(MemberStatus status) => status switch
    {
        MemberStatus.WeaklyUp => "weakly_up",
        _ => status.ToString().ToLowerInvariant(),
    };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _system = _services.GetRequiredService<ActorSystem>();
        using var timer = new PeriodicTimer(PollInterval);
        do
        {
            try
            {
                _regions = await PollRegionsAsync(_system, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException or OperationCanceledException or ObjectDisposedException)
            {
                // A region busy starting or stopping: keep the last figures, try again next tick.
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private static async Task<IReadOnlyList<(string, int, int)>> PollRegionsAsync(ActorSystem system, CancellationToken ct)
    {
        var sharding = ClusterSharding.Get(system);
        var result = new List<(string, int, int)>();
        foreach (var name in sharding.ShardTypeNames.Order(StringComparer.Ordinal))
        {
            IActorRef region;
            try
            {
                region = sharding.ShardRegion(name);
            }
            catch (ArgumentException)
            {
                // Named but still starting (its hosting extension registers the name first): next tick.
                continue;
            }
            var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(3), ct).ConfigureAwait(false);
            int entities = 0;
            foreach (var shard in state.Shards)
            {
                entities += shard.EntityIds.Count;
            }
            result.Add((name, state.Shards.Count, entities));
        }
        return result;
    }
}
