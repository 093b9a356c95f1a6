using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rtmfp.Ops.Commands;
using Rtmfp.Ops.Logging;
using Rtmfp.Ops.Metrics;
using Rtmfp.Ops.Protocol;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Ops.Server;

/// <summary>
/// The rtmfp-ops endpoint: a TCP listener serving one JSON request per line. Registered after
/// Akka.Hosting's service, so the ActorSystem is running when this starts. A port that cannot be
/// bound is logged and leaves the node running without the endpoint: the admin port must never
/// take the RTMFP service down.
/// </summary>
internal sealed class OpsServer(
    OpsServerOptions options,
    IServiceProvider services,
    LogRingBuffer logBuffer,
    ILogger<OpsServer> logger) : IHostedService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly RtmfpMetrics? _metrics = services.GetService<RtmfpMetrics>();
    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private TcpListener? _listener;
    private Task? _acceptLoop;
    private long _nextConnection;

    /// <summary>The bound endpoint (port 0 resolved), or null when disabled or the bind failed.</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    public OpsCommandRegistry? Registry { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Endpoint is not { } endpoint)
        {
            logger.LogInformation("ops endpoint disabled");
            return Task.CompletedTask;
        }
        var system = services.GetRequiredService<ActorSystem>();
        var registry = new OpsCommandRegistry();
        registry.AddRange(ClusterCommands.Create(system, logger));
        registry.AddRange(RtmfpCommands.Create(system, options.AskTimeout, logger));
        registry.AddRange(ShardingCommands.Create(system, options.AskTimeout));
        registry.AddRange(ActorCommands.Create(system));
        registry.AddRange(NodeCommands.Create(system, services.GetService<RtmfpMeterTotals>()));
        registry.AddRange(LogCommands.Create(logBuffer));
        Registry = registry;

        var listener = new TcpListener(endpoint);
        try
        {
            listener.Start(backlog: options.MaxConnections);
        }
        catch (SocketException ex)
        {
            logger.LogError("ops endpoint {Endpoint} not available ({Error}); the node runs without it", endpoint, ex.SocketErrorCode);
            listener.Dispose();
            return Task.CompletedTask;
        }
        _listener = listener;
        LocalEndPoint = (IPEndPoint)listener.LocalEndpoint;
        logger.LogInformation("ops endpoint listening on {Endpoint} ({Authentication})", LocalEndPoint,
            options.Token is null ? "no token: loopback only" : "token required");
        _acceptLoop = Task.Run(() => AcceptLoopAsync(listener, registry));
        return Task.CompletedTask;
    }

    private async Task AcceptLoopAsync(TcpListener listener, OpsCommandRegistry registry)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }
                logger.LogWarning("ops accept failed: {Error}", ex.Message);
                continue;
            }
            socket.NoDelay = true;
            if (_connections.Count >= options.MaxConnections)
            {
                _ = RefuseAsync(socket);
                continue;
            }
            long id = Interlocked.Increment(ref _nextConnection);
            var connection = new OpsConnection(socket, registry, options, logger, _metrics);
            _connections[id] = Task.Run(async () =>
            {
                try
                {
                    await connection.RunAsync(_stopping.Token).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    // RunAsync ends a client's departure and the node's stop itself: anything reaching here is a bug.
                    _metrics?.HandlerFailed(HandlerFailureSites.OpsConnection);
                    logger.LogError(ex, "ops connection failed");
                }
                finally
                {
                    _connections.TryRemove(id, out _);
                }
            });
        }
    }

    private async Task RefuseAsync(Socket socket)
    {
        try
        {
            using var stream = new NetworkStream(socket, ownsSocket: true);
            using var timeout = new CancellationTokenSource(options.WriteTimeout);
            await stream.WriteAsync(OpsJson.Line(new OpsResponse(false, Error: $"too many ops connections (limit {options.MaxConnections})")), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
        {
            // The refused client left first.
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        _stopping.Cancel();
        _listener?.Stop();
        var pending = _connections.Values.ToList();
        if (_acceptLoop is not null)
        {
            pending.Add(_acceptLoop);
        }
        try
        {
            await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            logger.LogWarning("ops connections did not close in time");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _listener?.Dispose();
        _stopping.Dispose();
    }
}
