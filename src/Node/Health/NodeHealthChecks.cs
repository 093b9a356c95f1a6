using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Rtmfp.Cluster;
using Rtmfp.Node.Settings;
using Rtmfp.Persistence.Redis.Health;

namespace Rtmfp.Node.Health;

/// <summary>
/// The node's health checks (Microsoft.Extensions.Diagnostics.HealthChecks), by tag: <see cref="Live"/> (the process
/// and its actor system run), <see cref="Startup"/> (the host started: endpoints bound) and <see cref="Ready"/> (a
/// cluster member that is Up, its shard regions answered by their coordinators, Redis reachable where configured, not
/// shutting down). Served over HTTP by <see cref="HealthEndpoint"/>.
/// </summary>
internal static class NodeHealthChecks
{
    public const string Live = "live";
    public const string Ready = "ready";
    public const string Startup = "startup";

    public static void Add(IServiceCollection services, NodeSettings settings)
    {
        var checks = services.AddHealthChecks()
            .AddCheck<ActorSystemCheck>("actor-system", tags: [Live, Ready])
            .AddCheck<HostStartedCheck>("host", tags: [Startup, Ready])
            .AddCheck<ClusterMemberCheck>("cluster", tags: [Ready])
            .AddCheck<ShardRegionsCheck>("shard-regions", tags: [Ready]);
        if (settings.Persistence.Provider == PersistenceProvider.Redis)
        {
            checks.AddCheck<RedisCheck>("redis", tags: [Ready]);
        }
        if (settings.Health.Endpoint is not null)
        {
            services.AddHostedService<HealthEndpoint>();
        }
    }
}

/// <summary>Live while the actor system runs: a terminated system cannot serve anything and the process should restart.</summary>
internal sealed class ActorSystemCheck(ActorSystem system) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(system.WhenTerminated.IsCompleted
            ? HealthCheckResult.Unhealthy("the actor system terminated")
            : HealthCheckResult.Healthy());
}

/// <summary>Started once every hosted service started (UDP endpoints bound); not ready again once the node is stopping.</summary>
internal sealed class HostStartedCheck(IHostApplicationLifetime lifetime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!lifetime.ApplicationStarted.IsCancellationRequested)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("starting"));
        }
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("shutting down"));
        }
        return Task.FromResult(HealthCheckResult.Healthy());
    }
}

/// <summary>Ready once this node is an Up member of its cluster (RFC-independent: Akka's membership).</summary>
internal sealed class ClusterMemberCheck(ActorSystem system) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var status = cluster.SelfMember.Status;
        if (status != MemberStatus.Up)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"cluster member status {status}"));
        }
        return Task.FromResult(cluster.State.Unreachable.Count == 0
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Healthy($"{cluster.State.Unreachable.Count} members unreachable"));
    }
}

/// <summary>
/// Ready once the coordinator of every shard region this node uses answers and lists a region (this node's own for the
/// regions it hosts): before that, messages to the entities only wait in the region's buffer.
/// </summary>
internal sealed class ShardRegionsCheck(ActorSystem system, NodeSettings settings) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var sharding = ClusterSharding.Get(system);
        var self = Akka.Cluster.Cluster.Get(system).SelfAddress;
        bool sessionsHere = settings.Roles.HasFlag(NodeRoles.Sessions);
        var expected = new List<(string Name, bool Hosted)> { (ClusterRoles.SessionShard, sessionsHere) };
        if (sessionsHere)
        {
            expected.Add((ClusterRoles.StreamShard, true));
            expected.Add((ClusterRoles.PeerDirectoryShard, true));
        }
        if (settings.Roles.HasFlag(NodeRoles.Groups))
        {
            expected.Add((ClusterRoles.GroupShard, true));
        }
        foreach (var (name, hosted) in expected)
        {
            if (!sharding.ShardTypeNames.Contains(name))
            {
                return HealthCheckResult.Unhealthy($"shard region {name} not started");
            }
            CurrentRegions regions;
            try
            {
                regions = await sharding.ShardRegion(name).Ask<CurrentRegions>(GetCurrentRegions.Instance, Timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException or OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy($"shard region {name}: its coordinator did not answer");
            }
            if (hosted ? !regions.Regions.Contains(self) : regions.Regions.Count == 0)
            {
                return HealthCheckResult.Unhealthy($"shard region {name} not registered with its coordinator");
            }
        }
        return HealthCheckResult.Healthy();
    }
}

/// <summary>Ready while the Redis of the persistence plugins answers (<see cref="IRedisHealth"/>, probed every second).</summary>
internal sealed class RedisCheck(IRedisHealth redis) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(redis.IsReachable
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"Redis at {redis.Endpoints} unreachable{(redis.LastError is { } e ? ": " + e : "")}"));
}
