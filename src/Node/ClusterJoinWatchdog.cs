using Akka.Actor;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rtmfp.Node.Settings;

namespace Rtmfp.Node;

/// <summary>
/// A node configured with seeds that is not a cluster member within <see cref="ClusterSettings.JoinTimeout"/> says
/// why and stops with exit code <see cref="ExitCode"/>: otherwise it would answer IHellos and complete no handshake
/// (its session shards have no coordinator), silently. A node without seeds joins itself and is not watched.
/// </summary>
internal sealed partial class ClusterJoinWatchdog(
    ActorSystem system,
    NodeSettings settings,
    IHostApplicationLifetime lifetime,
    ILogger<ClusterJoinWatchdog> logger) : IHostedService, IDisposable
{
    /// <summary>Exit code of a node that could not join its cluster.</summary>
    public const int ExitCode = 3;

    private CancellationTokenSource? _timeout;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var seeds = settings.Cluster.SeedNodes;
        if (seeds.Count == 0)
        {
            return Task.CompletedTask;
        }
        var joinTimeout = settings.Cluster.JoinTimeout;
        LogJoining(logger, string.Join(", ", seeds), joinTimeout.TotalSeconds);
        var cluster = Akka.Cluster.Cluster.Get(system);
        _timeout = new CancellationTokenSource();
        var timeout = _timeout;
        cluster.RegisterOnMemberUp(() =>
        {
            timeout.Cancel();
            LogJoined(logger, cluster.SelfAddress.ToString());
        });
        _ = Task.Delay(joinTimeout, timeout.Token).ContinueWith(t =>
        {
            if (t.IsCanceled)
            {
                return;
            }
            LogNotJoined(logger, joinTimeout.TotalSeconds, string.Join(", ", seeds));
            Environment.ExitCode = ExitCode;
            lifetime.StopApplication();
        }, TaskScheduler.Default);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timeout?.Cancel();
        return Task.CompletedTask;
    }

    public void Dispose() => _timeout?.Dispose();

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "joining the cluster through seeds {Seeds} (giving up after {Seconds} s)")]
    private static partial void LogJoining(ILogger logger, string seeds, double seconds);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "joined the cluster as {Address}")]
    private static partial void LogJoined(ILogger logger, string address);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Critical, Message = "not a cluster member after {Seconds} s: no seed of Rtmfp:Cluster:SeedNodes ({Seeds}) let this node in. Check that a seed is running and reachable on its remoting port, that every node uses the same Rtmfp:Cluster:SystemName and TLS setting, and Rtmfp:Cluster:JoinTimeout. Stopping")]
    private static partial void LogNotJoined(ILogger logger, double seconds, string seeds);
}
