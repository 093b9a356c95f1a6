using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Hosting;
using Akka.TestKit.Xunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rtmfp.Gateway.Handshake;
using Rtmfp.Cluster;
using Rtmfp.Gateway.Tests.Support;
using Rtmfp.Gateway.Transport;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Gateway.Tests;

/// <summary>
/// The gateway role's start and stop on a cluster node: every endpoint bound and receiving, a bind failure reported
/// as a configuration error with nothing left bound, and at stop the sessions either asked to close (a sessions node
/// is up), or left to the next gateway (another gateway is up), or dropped with a warning (nothing to ask).
/// </summary>
public abstract class GatewayServiceTestBase(string config) : TestKit(config)
{
    protected const string ClusterConfig = """
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp.hostname = 127.0.0.1
        akka.remote.dot-netty.tcp.port = 0
        akka.loglevel = WARNING
        """;

    private readonly RtmfpMetrics _metrics = new();
    private readonly List<IDisposable> _disposables = [];

    internal ListLogger Logged { get; } = new();

    internal Recorder Startup { get; } = new();

    internal Akka.TestKit.TestProbe? RegionProbe { get; private set; }

    protected override void AfterAll()
    {
        foreach (var d in _disposables)
        {
            d.Dispose();
        }
        _metrics.Dispose();
        base.AfterAll();
    }

    /// <summary>The handshake front as the service builds it: records the startup packets it is given and its disposal.</summary>
    internal sealed class Recorder : IStartupHandler, IDisposable
    {
        public ConcurrentQueue<SocketAddress> From { get; } = new();
        public GatewayContext? Context { get; set; }
        public bool Disposed { get; private set; }
        public void OnStartupPacket(UdpEndpoint endpoint, ReadOnlySpan<byte> encryptedPacket, SocketAddress from) => From.Enqueue(SocketAddresses.Copy(from));
        public void OnSessionOpened(SessionOpened opened, UdpEndpoint? endpoint) { }
        public void OnCollision(SessionIdCollision collision) { }
        public void Dispose() => Disposed = true;
    }

    internal sealed class Region(IActorRef region) : IRequiredActor<SessionRegion>
    {
        public IActorRef ActorRef => region;
        public Task<IActorRef> GetAsync(CancellationToken cancellationToken = default) => Task.FromResult(region);
    }

    private sealed class TypedLogger(ILogger inner) : ILogger<GatewayService>
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);
        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            inner.Log(logLevel, eventId, state, exception, formatter);
    }

    internal GatewayService Service(params IPEndPoint[] endpoints)
    {
        RegionProbe = CreateTestProbe();
        var options = new GatewayOptions(endpoints, new byte[32], TimeSpan.FromMinutes(1), 1, 4, 1 << 20, TimeSpan.FromMilliseconds(300));
        return new GatewayService(options, Sys, new Region(RegionProbe.Ref), _metrics, context =>
        {
            Startup.Context = context;
            return Startup;
        }, new TypedLogger(Logged));
    }

    internal Socket Udp()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _disposables.Add(s);
        return s;
    }

    /// <summary>Session ID 0 and 16 bytes: a startup datagram as far as the gateway's demultiplexing goes.</summary>
    internal static byte[] StartupDatagram()
    {
        var datagram = new byte[20];
        Random.Shared.NextBytes(datagram);
        Multiplex.ScrambleSessionId(datagram, 0);
        return datagram;
    }

    internal static void AddSessions(RtmfpGateway gateway, int count)
    {
        for (uint id = 1; id <= count; id++)
        {
            gateway.Cache.Set(id, id + 100, new SessionCryptoMaterial(new byte[16], new byte[16], new byte[32], new byte[32], new byte[32], new byte[32], default), null);
        }
    }
}

public sealed class GatewayServiceTests() : GatewayServiceTestBase(ClusterConfig)
{
    [Fact(Timeout = 30_000)]
    public async Task Every_endpoint_is_bound_and_receives_and_stopping_closes_them_all()
    {
        var service = Service(new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.Loopback, 0));
        await service.StartAsync(TestContext.Current.CancellationToken);
        Assert.Equal(2, service.Endpoints.Count);
        var ports = service.Endpoints.Select(e => e.LocalEndPoint.Port).ToArray();
        Assert.NotEqual(ports[0], ports[1]);
        Assert.Equal(2, Logged.Count(1001));
        var gateway = service.Gateway!;
        var actor = Startup.Context!.GatewayActor;
        Assert.Same(gateway, Startup.Context.Gateway);
        Assert.Same(gateway, LocalGateways.Get(Sys).Find(actor)); // session actors here reach it directly

        var client = Udp();
        foreach (var ep in service.Endpoints)
        {
            client.SendTo(StartupDatagram(), ep.LocalEndPoint);
        }
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Startup.From.Count < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "the startup datagrams never reached the handshake front");
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
        Assert.All(Startup.From, from => Assert.Equal(client.LocalEndPoint!.Serialize(), from));

        // No session: nothing to ask; the sockets close, the front is disposed, the direct route is gone.
        await service.StopAsync(TestContext.Current.CancellationToken);
        Assert.Equal(1, Logged.Count(1004));
        Assert.Empty(service.Endpoints);
        Assert.True(Startup.Disposed);
        Assert.Null(LocalGateways.Get(Sys).Find(actor));
        foreach (int port in ports)
        {
            using var again = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            again.Bind(new IPEndPoint(IPAddress.Loopback, port));
        }
        RegionProbe!.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact(Timeout = 30_000)]
    public async Task An_endpoint_that_cannot_be_bound_is_a_configuration_error_and_leaves_nothing_bound()
    {
        var taken = Udp();
        int free;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            free = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }
        var service = Service(new IPEndPoint(IPAddress.Loopback, free), (IPEndPoint)taken.LocalEndPoint!);
        var error = await Assert.ThrowsAsync<GatewayBindException>(() => service.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains($"cannot bind {taken.LocalEndPoint}", error.Message);
        Assert.Contains("Rtmfp:Gateway:Endpoints", error.Message);
        Assert.IsType<SocketException>(error.InnerException);
        using var again = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        again.Bind(new IPEndPoint(IPAddress.Loopback, free)); // the first endpoint was closed again
    }

    [Fact(Timeout = 30_000)]
    public async Task Without_a_sessions_node_to_ask_the_sessions_are_dropped_with_a_warning()
    {
        // This node has not joined a cluster: no member is up, so no CloseSession could be delivered.
        var service = Service(new IPEndPoint(IPAddress.Loopback, 0));
        await service.StartAsync(TestContext.Current.CancellationToken);
        AddSessions(service.Gateway!, 3);
        await service.StopAsync(TestContext.Current.CancellationToken);
        Assert.True(service.Gateway!.Draining);
        var warning = Assert.Single(Logged.Events, e => e.Id == 1003);
        Assert.StartsWith("shutdown: 3 of 0 sessions still open", warning.Message);
        Assert.Equal(0, Logged.Count(1004));
        RegionProbe!.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }
}

/// <summary>The role's registrations as a node's host resolves them.</summary>
public sealed class GatewayHostingTests() : GatewayServiceTestBase(ClusterConfig)
{
    [Theory(Timeout = 30_000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task One_service_is_also_the_hosted_service_and_its_front_asks_the_registered_peer_directory(bool directory)
    {
        var region = CreateTestProbe();
        var peers = CreateTestProbe();
        var options = new GatewayOptions([new IPEndPoint(IPAddress.Loopback, 0)], new byte[32], TimeSpan.FromMinutes(1), 1, 4, 1 << 20, TimeSpan.FromSeconds(1));
        using var metrics = new RtmfpMetrics();
        var registry = new ActorRegistry();
        if (directory)
        {
            registry.Register<PeerDirectoryRegion>(peers.Ref);
        }
        var services = new ServiceCollection()
            .AddSingleton(Sys)
            .AddSingleton<IRequiredActor<SessionRegion>>(new Region(region.Ref))
            .AddSingleton(metrics)
            .AddSingleton(typeof(ILogger<>), typeof(NullLogger<>))
            .AddSingleton(registry)
            .AddGatewayRole(options);
        await using var provider = services.BuildServiceProvider();
        Assert.Same(options, provider.GetRequiredService<GatewayOptions>());
        var service = provider.GetRequiredService<GatewayService>();
        Assert.Same(service, Assert.Single(provider.GetServices<IHostedService>()));

        await using var endpoint = new UdpEndpoint(new IPEndPoint(IPAddress.Loopback, 0));
        var gateway = new RtmfpGateway(region.Ref, new SessionKeyCache(), metrics, NullLogger.Instance);
        var context = new GatewayContext(options, gateway, [endpoint], region.Ref, metrics, NullLogger.Instance) { GatewayActor = TestActor };
        using var front = Assert.IsType<HandshakeFront>(provider.GetRequiredService<Func<GatewayContext, IStartupHandler>>()(context));
        using var initiator = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp) { ReceiveTimeout = 2000 };
        initiator.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var lookup = StartupPacketWriter.IHello(0, EndpointDiscriminator.CreateCanonical(new byte[32]), new byte[16]);
        front.OnStartupPacket(endpoint, StartupTraffic.Startup(lookup).AsSpan(4), initiator.LocalEndPoint!.Serialize());
        if (directory)
        {
            Assert.Equal(new byte[32], peers.ExpectMsg<LookupPeer>().PeerId);
            // The Redirect leaves from the endpoint the lookup came to, whatever endpoint the gateway actor offers (the
            // first of the family: a node may serve 127.0.0.1 and a public address, RFC 7016 §3.5.1.6).
            await using var first = new UdpEndpoint(new IPEndPoint(IPAddress.Loopback, 0));
            front.OnPeerRedirect(new PeerRedirect([0x0b, 0x00, 0x01, 0x71, 0x00, 0x00], initiator.LocalEndPoint!.Serialize()), first, metrics);
            EndPoint source = new IPEndPoint(IPAddress.Any, 0);
            initiator.ReceiveFrom(new byte[1500], ref source);
            Assert.Equal(endpoint.LocalEndPoint.Port, ((IPEndPoint)source).Port);
        }
        else
        {
            peers.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        }
    }
}

/// <summary>The same node joined to itself as a sessions and gateway member: the only gateway, with a sessions node up.</summary>
public sealed class GatewayServiceMemberTests() : GatewayServiceTestBase(ClusterConfig + "\nakka.cluster.roles = [sessions, gateway]")
{
    [Fact(Timeout = 60_000)]
    public async Task The_last_gateway_asks_each_session_to_close_and_waits_for_them()
    {
        var cluster = Akka.Cluster.Cluster.Get(Sys);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        cluster.Join(cluster.SelfAddress);
        await up.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        var service = Service(new IPEndPoint(IPAddress.Loopback, 0));
        await service.StartAsync(TestContext.Current.CancellationToken);
        var gateway = service.Gateway!;
        AddSessions(gateway, 2);
        var stopping = service.StopAsync(TestContext.Current.CancellationToken);
        // Another gateway would keep them (this node is a gateway, but not another one): each is asked to close.
        var asked = new[] { RegionProbe!.ExpectMsg<CloseSession>().SessionId, RegionProbe.ExpectMsg<CloseSession>().SessionId };
        Assert.Equal([1u, 2u], asked.Order());
        gateway.Cache.Remove(1); // one closes within the grace period, the other does not
        await stopping.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        var warning = Assert.Single(Logged.Events, e => e.Id == 1003);
        Assert.StartsWith("shutdown: 1 of 2 sessions still open", warning.Message);
        Assert.Equal(0, Logged.Count(1005));
        Assert.True(gateway.Draining);
        await cluster.LeaveAsync(TestContext.Current.CancellationToken);
    }
}
