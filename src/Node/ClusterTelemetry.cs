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
/// node hosts, polled every <see cref="PollInterval"/> outside any actor (GetShardRegionStats: each shard answers
/// with its entity count; a slow answer only delays the figures).
/// <para>
/// The regions are polled only while a reader collects these gauges (a Prometheus scrape, an OTLP export) at least
/// once every <see cref="ReaderQuietAfter"/>: a poll is a message to every shard of the node and its answer, and a
/// node nobody reads should not pay for it, nor for the JIT compiling the poll's code once it is hot
/// (docs/benchmarks.md, session 27). The first collection after a quiet spell returns the last figures polled (none
/// before the first poll) and wakes the poller at once.
/// </para>
/// </summary>
internal sealed class ClusterTelemetry : BackgroundService
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(5);

    /// <summary>Polling stops when no reader has collected the region gauges for this long (an OTLP export runs every minute).</summary>
    public static readonly TimeSpan ReaderQuietAfter = TimeSpan.FromMinutes(2);

    private static readonly MemberStatus[] Statuses =
        [MemberStatus.Joining, MemberStatus.WeaklyUp, MemberStatus.Up, MemberStatus.Leaving, MemberStatus.Exiting, MemberStatus.Down, MemberStatus.Removed];

    private readonly IServiceProvider _services;
    private volatile ActorSystem? _system;
    private volatile IReadOnlyList<(string Region, int Shards, int Entities)> _regions = [];

    // When a reader last collected the region gauges (Environment.TickCount64); far in the past until one does.
    private long _collectedAtMs = long.MinValue / 2;

    // Released by a collection that finds the poller asleep (no collection for ReaderQuietAfter).
    private readonly SemaphoreSlim _collected = new(0, 1);
    private int _polls;

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
        Collected(Environment.TickCount64);
        var regions = _regions;
        var result = new Measurement<long>[regions.Count];
        for (int i = 0; i < regions.Count; i++)
        {
            result[i] = new Measurement<long>(shards ? regions[i].Shards : regions[i].Entities,
                new KeyValuePair<string, object?>("akka.shard.region", regions[i].Region));
        }
        return result;
    }

    /// <summary>How many times the regions were polled (tests: none while nobody reads).</summary>
    internal int Polls => Volatile.Read(ref _polls);

    /// <summary>A reader collected the region gauges at <paramref name="nowMs"/>: wake the poller if it sleeps.</summary>
    internal void Collected(long nowMs)
    {
        long previous = Interlocked.Exchange(ref _collectedAtMs, nowMs);
        if (!IsRead(previous, nowMs))
        {
            try
            {
                _collected.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already woken.
            }
        }
    }

    /// <summary>Whether a collection at <paramref name="collectedAtMs"/> is recent enough at <paramref name="nowMs"/> to keep polling.</summary>
    internal static bool IsRead(long collectedAtMs, long nowMs) => nowMs - collectedAtMs < (long)ReaderQuietAfter.TotalMilliseconds;

    internal static string StatusName(MemberStatus status) => status switch
    {
        MemberStatus.WeaklyUp => "weakly_up",
        _ => status.ToString().ToLowerInvariant(),
    };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _system = _services.GetRequiredService<ActorSystem>();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (!IsRead(Interlocked.Read(ref _collectedAtMs), Environment.TickCount64))
                {
                    // Nobody reads the figures: sleep until a collection wakes us (no timer, no poll).
                    await _collected.WaitAsync(stoppingToken).ConfigureAwait(false);
                }
                Interlocked.Increment(ref _polls);
                try
                {
                    _regions = await PollRegionsAsync(_system, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is AskTimeoutException or OperationCanceledException or ObjectDisposedException)
                {
                    // A region busy starting or stopping: keep the last figures, try again next time (the delay below
                    // ends the loop if the host stops).
                }
                await Task.Delay(PollInterval, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host stops.
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _collected.Dispose();
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
            // Counts, not GetShardRegionState's sets of every entity ID (a copy of each ID the node hosts per poll).
            var stats = await region.Ask<ShardRegionStats>(GetShardRegionStats.Instance, TimeSpan.FromSeconds(3), ct).ConfigureAwait(false);
            int entities = 0;
            foreach (var count in stats.Stats.Values)
            {
                entities += count;
            }
            result.Add((name, stats.Stats.Count, entities));
        }
        return result;
    }
}
