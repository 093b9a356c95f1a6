using System.Net.Sockets;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rtmfp.Gateway.Transport;
using Rtmfp.Cluster;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Gateway;

/// <summary>Raised when a gateway endpoint cannot be bound; the host reports it as a configuration error.</summary>
public sealed class GatewayBindException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// Starts the gateway role: binds the UDP endpoints, the handshake front and the gateway actor.
/// On stop it first asks the sessions it serves to close (their Close Requests still leave through
/// the open sockets), then closes the sockets.
/// </summary>
internal sealed class GatewayService(
    GatewayOptions options,
    ActorSystem system,
    IRequiredActor<SessionRegion> sessionRegion,
    RtmfpMetrics metrics,
    Func<GatewayContext, IStartupHandler> startupFactory,
    ILogger<GatewayService> logger) : IHostedService, IAsyncDisposable
{
    private readonly List<UdpEndpoint> _endpoints = [];
    private RtmfpGateway? _gateway;
    private IStartupHandler? _startup;
    private IActorRef? _gatewayActor;
    private LocalGateways? _localGateways;

    public IReadOnlyList<UdpEndpoint> Endpoints => _endpoints;

    public RtmfpGateway? Gateway => _gateway;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var region = await sessionRegion.GetAsync(cancellationToken).ConfigureAwait(false);
        foreach (var bind in options.Endpoints)
        {
            try
            {
                _endpoints.Add(new UdpEndpoint(bind, options.SocketBufferBytes, logger, metrics));
            }
            catch (SocketException ex) when (bind.AddressFamily == AddressFamily.InterNetworkV6 && ex.SocketErrorCode == SocketError.AddressFamilyNotSupported)
            {
                logger.NoIPv6(bind);
            }
            catch (SocketException ex)
            {
                foreach (var ep in _endpoints)
                {
                    await ep.DisposeAsync().ConfigureAwait(false);
                }
                throw new GatewayBindException($"Rtmfp:Gateway:Endpoints: cannot bind {bind}: {ex.SocketErrorCode}", ex);
            }
        }
        _gateway = new RtmfpGateway(region, new SessionKeyCache(), metrics, logger);
        var context = new GatewayContext(options, _gateway, _endpoints, region, metrics, logger) { IsReachable = ReachabilityOf(system) };
        _startup = startupFactory(context);
        var startup = _startup;
        var gatewayRef = system.ActorOf(Props.Create(() => new GatewayActor(_gateway, _endpoints, startup, metrics)), "gateway");
        context.GatewayActor = gatewayRef;
        _gateway.Attach(_startup, gatewayRef, _endpoints);
        _localGateways = LocalGateways.Get(system);
        _localGateways.Register(gatewayRef, _gateway);
        _gatewayActor = gatewayRef;
        foreach (var ep in _endpoints)
        {
            ep.Start(_gateway.OnDatagramBatched, _gateway.EndOfBatch);
            logger.Listening(ep.LocalEndPoint);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_gateway is { Cache.Count: > 0 } leaving && AnotherGatewayReachable())
        {
            // Two explicit paths. Here another gateway serves the cluster: its sessions live in session entities, not
            // in this gateway, so they stay open (their entities hand off or stay where they are) and their clients carry
            // on through another gateway once the load balancer moves them (issue 9). The last gateway closes them.
            leaving.BeginDrain();
            logger.LeavingSessionsOpen(leaving.Cache.Count);
        }
        else if (_gateway is { } gateway)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            int asked = 0, remaining = 0;
            if (gateway.Cache.Count > 0 && SessionsNodeReachable())
            {
                var region = await sessionRegion.GetAsync(cancellationToken).ConfigureAwait(false);
                (asked, remaining) = await new SessionDrain(gateway, region).RunAsync(options.ShutdownCloseGrace, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                gateway.BeginDrain();
                remaining = gateway.Cache.Count;
            }
            if (remaining == 0)
            {
                logger.SessionsClosed(asked, (long)clock.Elapsed.TotalMilliseconds);
            }
            else
            {
                logger.StoppingWithSessions(remaining, asked, options.ShutdownCloseGrace.TotalSeconds);
            }
        }
        await DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Whether any member with the sessions role is up and reachable: with none, CloseSession messages would only
    /// wait in the shard region proxy and hold up its shutdown (≈ 10 s) for sessions that are already gone.
    /// </summary>
    private bool SessionsNodeReachable() => MemberReachable(ClusterRoles.Sessions, includeSelf: true);

    /// <summary>Whether a member other than this node with the gateway role is up and reachable.</summary>
    private bool AnotherGatewayReachable() => MemberReachable(ClusterRoles.Gateway, includeSelf: false);

    private bool MemberReachable(string role, bool includeSelf)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var state = cluster.State;
        foreach (var member in state.Members)
        {
            if (member.Status == Akka.Cluster.MemberStatus.Up && member.HasRole(role) && !state.Unreachable.Contains(member)
                && (includeSelf || !member.Address.Equals(cluster.SelfAddress)))
            {
                return true;
            }
        }
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        if (_gatewayActor is not null)
        {
            _localGateways?.Unregister(_gatewayActor);
            _gatewayActor = null;
        }
        foreach (var ep in _endpoints)
        {
            await ep.DisposeAsync().ConfigureAwait(false);
        }
        _endpoints.Clear();
        (_startup as IDisposable)?.Dispose();
        _startup = null;
    }

    /// <summary>
    /// A node is reachable when the cluster holds it as an Up member that no node reports unreachable (read from the
    /// cluster's current view; only a stalled handshake asks). Without a cluster there is only this node.
    /// </summary>
    private static Func<Address, bool> ReachabilityOf(ActorSystem system)
    {
        if (system is not ExtendedActorSystem { Provider: Akka.Cluster.ClusterActorRefProvider })
        {
            return _ => true;
        }
        var cluster = Akka.Cluster.Cluster.Get(system);
        return address =>
        {
            var state = cluster.State;
            foreach (var member in state.Unreachable)
            {
                if (member.Address.Equals(address))
                {
                    return false;
                }
            }
            foreach (var member in state.Members)
            {
                if (member.Address.Equals(address))
                {
                    return member.Status == Akka.Cluster.MemberStatus.Up;
                }
            }
            return false;
        };
    }
}

/// <summary>What the handshake front is built from.</summary>
internal sealed class GatewayContext(GatewayOptions options, RtmfpGateway gateway, IReadOnlyList<UdpEndpoint> endpoints, IActorRef sessionRegion, RtmfpMetrics metrics, ILogger logger)
{
    public GatewayOptions Options { get; } = options;
    public RtmfpGateway Gateway { get; } = gateway;
    public IReadOnlyList<UdpEndpoint> Endpoints { get; } = endpoints;
    public IActorRef SessionRegion { get; } = sessionRegion;
    public RtmfpMetrics Metrics { get; } = metrics;
    public ILogger Logger { get; } = logger;

    /// <summary>Whether a node is a reachable member now (the cluster's view; every node without a cluster).</summary>
    public Func<Address, bool> IsReachable { get; init; } = _ => true;

    /// <summary>Set once the gateway actor exists (before any datagram is received): the sender for OpenSession.</summary>
    public IActorRef GatewayActor { get; set; } = ActorRefs.Nobody;
}
