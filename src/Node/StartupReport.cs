using Akka.Actor;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rtmfp.Node.Settings;

namespace Rtmfp.Node;

/// <summary>
/// Says at startup what the node is: its configuration warnings (unknown keys, no shared cookie secret), then, once
/// every service started, one line with its roles, endpoints, cluster address and seeds, persistence, metrics and
/// health paths, so an operator reading the first screen of a log knows what is running.
/// </summary>
internal sealed partial class StartupReport(NodeSettings settings, ActorSystem system, IHostApplicationLifetime lifetime, ILogger<StartupReport> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var warning in settings.Warnings)
        {
            LogConfigurationWarning(logger, warning);
        }
        lifetime.ApplicationStarted.Register(() => LogSummary(logger, Summary()));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    internal string Summary()
    {
        var s = settings;
        string roles = string.Join(",", new[] { (NodeRoles.Gateway, "gateway"), (NodeRoles.Sessions, "sessions"), (NodeRoles.Groups, "groups") }
            .Where(r => s.Roles.HasFlag(r.Item1)).Select(r => r.Item2));
        string udp = s.Roles.HasFlag(NodeRoles.Gateway) ? string.Join(",", s.Gateway.Endpoints) : "none";
        string seeds = s.Cluster.SeedNodes.Count == 0 ? "none (joins itself)" : string.Join(",", s.Cluster.SeedNodes);
        string persistence = s.Persistence.Provider == PersistenceProvider.Redis
            ? $"redis {RedisEndpoints(s.Persistence.RedisConfiguration!)}{(s.Persistence.KeyPrefix.Length > 0 ? $" prefix '{s.Persistence.KeyPrefix}'" : "")}"
            : "memory";
        string metrics = s.Metrics.PrometheusEndpoint is { } p ? $"http://{p}/metrics" : "off";
        string health = s.Health.Endpoint is { } h ? $"http://{h}/health/{{live,ready,startup}}" : "off";
        string ops = s.Ops.Endpoint?.ToString() ?? "off";
        return $"roles {roles}; udp {udp}; cluster {Akka.Cluster.Cluster.Get(system).SelfAddress} seeds {seeds}{(s.Cluster.Tls is null ? "" : " (TLS)")}; "
            + $"persistence {persistence}; metrics {metrics}; health {health}; ops {ops}; shutdown grace {s.Shutdown.GracePeriod.TotalSeconds} s; log {s.Log.Format.ToString().ToLowerInvariant()}";
    }

    /// <summary>The endpoints of a StackExchange.Redis configuration string, never its password.</summary>
    private static string RedisEndpoints(string configuration) =>
        string.Join(",", StackExchange.Redis.ConfigurationOptions.Parse(configuration).EndPoints.Select(e => e.ToString()));

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "configuration: {Warning}")]
    private static partial void LogConfigurationWarning(ILogger logger, string warning);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Information, Message = "rtmfp-node started: {Summary}")]
    private static partial void LogSummary(ILogger logger, string summary);
}
