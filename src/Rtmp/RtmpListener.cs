using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rtmfp.Cluster;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Rtmp;

/// <summary>Raised when the RTMP port cannot be bound; the host reports it as a configuration error.</summary>
public sealed class RtmpBindException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// The rtmp role's TCP listener: accepts connections and gives each its own <see cref="RtmpConnectionActor"/>, up to
/// <see cref="RtmpRoleOptions.MaxConnections"/> for the node and <see cref="RtmpRoleOptions.MaxConnectionsPerAddress"/>
/// per client address, at most <see cref="RtmpRoleOptions.ConnectsPerAddressPerSecond"/> new ones per address; a
/// connection beyond any of them is reset as soon as it is accepted (a flood costs an accept and a close, no actor and
/// no buffer).
/// </summary>
internal sealed class RtmpListener(
    RtmpRoleOptions options,
    ActorSystem system,
    IRequiredActor<StreamRegion> streamRegion,
    RtmfpMetrics rtmfpMetrics,
    ILogger<RtmpListener> logger) : IHostedService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Socket? _socket;
    private Task _acceptLoop = Task.CompletedTask;
    private readonly RtmpAdmission _admission = new(options.MaxConnections, options.MaxConnectionsPerAddress, options.ConnectsPerAddressPerSecond);
    private long _nextId;
    private int _disposed;

    /// <summary>Where the listener is bound (the free port when the setting asked for port 0).</summary>
    public IPEndPoint? LocalEndpoint => _socket?.LocalEndPoint as IPEndPoint;

    public RtmpMetrics Metrics { get; } = new(rtmfpMetrics.Meter);

    public int OpenConnections => _admission.Open;

    /// <summary>Open connections from one client address (tests, diagnostics).</summary>
    public int OpenConnectionsFrom(IPAddress address) => _admission.HeldBy(address);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var streams = await streamRegion.GetAsync(cancellationToken).ConfigureAwait(false);
        var socket = new Socket(options.Endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (options.Endpoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = true; // [::] also takes IPv4 clients
            }
            socket.Bind(options.Endpoint);
            socket.Listen(512);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new RtmpBindException($"Rtmfp:Rtmp:Port: cannot listen on {options.Endpoint}: {ex.SocketErrorCode}", ex);
        }
        _socket = socket;
        RtmpLog.Listening(logger, socket.LocalEndPoint!);
        _acceptLoop = AcceptLoopAsync(socket, streams);
    }

    private async Task AcceptLoopAsync(Socket listener, IActorRef streams)
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                continue; // the client gave up before we accepted it
            }
            catch (Exception e)
            {
                rtmfpMetrics.HandlerFailed(HandlerFailureSites.RtmpListener);
                RtmpLog.ListenerFailed(logger, e);
                await Task.Delay(100, CancellationToken.None).ConfigureAwait(false); // e.g. out of file descriptors: do not spin
                continue;
            }
            Admit(client, streams);
        }
    }

    private void Admit(Socket client, IActorRef streams)
    {
        if (client.RemoteEndPoint is not IPEndPoint remote)
        {
            client.Dispose(); // not a TCP/IP peer (cannot happen on this listener): nothing to count it against
            return;
        }
        var address = remote.Address;
        if (_admission.TryAdmit(address, Environment.TickCount64) is { } refusal)
        {
            Metrics.ConnectionRefused(refusal);
            switch (refusal)
            {
                case RtmpRefusal.AddressLimit:
                    RtmpLog.RefusedAddress(logger, remote, options.MaxConnectionsPerAddress);
                    break;
                case RtmpRefusal.RateLimit:
                    RtmpLog.RefusedRate(logger, remote, options.ConnectsPerAddressPerSecond);
                    break;
                default:
                    RtmpLog.Refused(logger, remote, _admission.Open);
                    break;
            }
            client.LingerState = new LingerOption(true, 0); // a reset: the client learns at once, we keep nothing
            client.Dispose();
            return;
        }
        long id = Interlocked.Increment(ref _nextId);
        int released = 0;
        Action onStopped = () =>
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                _admission.Release(address);
            }
        };
        try
        {
            system.ActorOf(Props.Create(() => new RtmpConnectionActor(client, options, streams, Metrics, rtmfpMetrics, logger, onStopped)), $"rtmp-{id}");
        }
        catch (Exception)
        {
            // The actor system is stopping.
            onStopped();
            client.Dispose();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket?.Dispose();
        await _acceptLoop.ConfigureAwait(false);
    }

    public ValueTask DisposeAsync()
    {
        // The container disposes the instance for each registration (the listener and the hosted service).
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _stop.Cancel();
            _socket?.Dispose();
            _stop.Dispose();
        }
        return ValueTask.CompletedTask;
    }
}
