using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rtmfp.Cluster;
using Rtmfp.Engine.Handshake;
using Rtmfp.Gateway.Handshake;
using Rtmfp.Gateway.Transport;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Shared.Wire;
using Rtmfp.Integration.Tests.Support;

namespace Rtmfp.Gateway.Tests.Support;

/// <summary>An actor reference that handles what it is told on the teller's thread (a stand-in for a shard region).</summary>
internal sealed class SyncRef(string name, Action<object, IActorRef> receive) : MinimalActorRef
{
    public override ActorPath Path { get; } = new RootActorPath(new Akka.Actor.Address("akka", "test")) / name;
    public override IActorRefProvider Provider => throw new NotSupportedException();
    protected override void TellInternal(object message, IActorRef sender) => receive(message, sender);
}

/// <summary>
/// The gateway as GatewayService builds it (datagram path, handshake front, worker pool, gateway actor) with stand-ins
/// for the session region and the peer directory. By default the region opens every session as an entity does;
/// <c>answer</c> may answer otherwise (a collision) or not at all (null: the entity never answers).
/// </summary>
internal sealed class FrontNode : IDisposable
{
    private readonly ConcurrentQueue<LookupPeer> _lookups = new();
    private long _opens;

    public FrontNode(ActorSystem system, UdpEndpoint endpoint, GatewayOptions options, FlashCryptoProfile profile,
        Func<LookupPeer, byte[]?>? redirect = null, Func<OpenSession, object?>? answer = null, bool directory = true,
        double? lookupsPerSecond = null, ILogger? logger = null)
    {
        Metrics = new RtmfpMetrics();
        Counters = new MetricCollector(Metrics);
        Cache = new SessionKeyCache();
        logger ??= NullLogger.Instance;
        answer ??= open => new SessionOpened(open.SessionId, open.FarSessionId, open.Crypto, open.FarAddress, open.RIKeyingPacket);
        IActorRef self = ActorRefs.Nobody;
        Region = new SyncRef("region", (message, sender) =>
        {
            if (message is OpenSession open)
            {
                Interlocked.Increment(ref _opens); // one Diffie-Hellman done on a worker
                OpenSessions.Enqueue(open);
                if (answer(open) is { } reply)
                {
                    sender.Tell(reply, self);
                }
            }
        });
        Directory = new SyncRef("directory", (message, sender) =>
        {
            if (message is LookupPeer lookup)
            {
                _lookups.Enqueue(lookup);
                if (redirect?.Invoke(lookup) is { } packet)
                {
                    sender.Tell(new PeerRedirect(packet, lookup.Initiator), self);
                }
            }
        });
        self = Region;
        Gateway = new RtmfpGateway(Region, Cache, Metrics, logger);
        var context = new GatewayContext(options, Gateway, [endpoint], Region, Metrics, logger);
        Front = new HandshakeFront(context, profile, directory ? Directory : null, lookupsPerSecond);
        var gateway = Gateway;
        var front = Front;
        var metrics = Metrics;
        Actor = system.ActorOf(Props.Create(() => new GatewayActor(gateway, new[] { endpoint }, front, metrics)));
        context.GatewayActor = Actor;
        Gateway.Attach(Front, Actor, [endpoint]);
    }

    public RtmfpMetrics Metrics { get; }
    public MetricCollector Counters { get; }
    public SessionKeyCache Cache { get; }
    public RtmfpGateway Gateway { get; }
    public HandshakeFront Front { get; }
    public IActorRef Actor { get; }
    public SyncRef Region { get; }
    public SyncRef Directory { get; }
    public long Opens => Interlocked.Read(ref _opens);
    public ConcurrentQueue<OpenSession> OpenSessions { get; } = new();
    public IReadOnlyCollection<LookupPeer> Lookups => _lookups;

    /// <summary>Until the keying queue is empty and the gateway actor has handled what it was told.</summary>
    public async Task SettleAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            while (Front.PendingJobs > 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(5);
            }
            await Actor.Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(10));
        }
        while (Front.PendingJobs > 0 && DateTime.UtcNow < deadline);
    }

    public void Dispose()
    {
        Actor.Tell(PoisonPill.Instance);
        Front.Dispose();
        Cache.Dispose();
        Counters.Dispose();
        Metrics.Dispose();
    }
}

/// <summary>Startup traffic as initiators send it, and what a socket of the test receives.</summary>
internal static class StartupTraffic
{
    /// <summary>A startup datagram as an initiator sends it: session ID 0 under the default key (RFC 7016 §2.2.2).</summary>
    public static byte[] Startup(ReadOnlySpan<byte> plain)
    {
        var datagram = new byte[StartupDatagram.MaxLength];
        return datagram[..StartupDatagram.Write(plain, 0, datagram)];
    }

    /// <summary>Everything that reached <paramref name="socket"/> until it stays quiet (0: what is there now).</summary>
    public static (long Bytes, List<byte[]> Datagrams) Drain(Socket socket, int quietMs = 300)
    {
        socket.ReceiveTimeout = quietMs;
        var buffer = new byte[PacketLimits.MaxDatagramLength];
        long bytes = 0;
        var datagrams = new List<byte[]>();
        while (true)
        {
            try
            {
                if (quietMs == 0 && socket.Available == 0)
                {
                    return (bytes, datagrams);
                }
                int n = socket.Receive(buffer);
                bytes += n;
                datagrams.Add(buffer[..n]);
            }
            catch (SocketException)
            {
                return (bytes, datagrams);
            }
        }
    }

    /// <summary>The plain startup packet of a datagram the node sent (session ID, then the default key).</summary>
    public static byte[] Open(byte[] datagram)
    {
        var plain = new byte[2048];
        using var key = SessionCryptoContext.CreateDefault();
        Assert.True(key.TryDecrypt(datagram.AsSpan(4), plain, out int offset, out int length));
        return plain.AsSpan(offset, length).ToArray();
    }

    /// <summary>The type of the first chunk of a datagram the node sent.</summary>
    public static ChunkType FirstChunk(byte[] datagram)
    {
        Assert.True(StartupPacket.TryRead(Open(datagram), out var chunks) && chunks.MoveNext());
        return chunks.Current.Type;
    }

    /// <summary>A real initiator's IHello, the node's RHello and the initiator's IIKeying, from <paramref name="client"/>.</summary>
    public static byte[] IIKeying(FrontNode node, UdpEndpoint endpoint, Socket client, FlashCryptoProfile clientProfile, uint isid,
        string uri = "rtmfp://127.0.0.1/live")
    {
        var server = endpoint.LocalEndPoint.Serialize();
        using var h = new InitiatorHandshake(clientProfile, EndpointDiscriminator.CreateForUri(uri), isid, [server], 0);
        Assert.True(h.TryBuildPacket(0, out var ihello));
        node.Gateway.OnDatagram(endpoint, Startup(ihello.Packet), client.LocalEndPoint!.Serialize());
        var buffer = new byte[2048];
        int n = client.Receive(buffer);
        Assert.True(h.Receive(Open(buffer[..n]), 0, server, 1));
        Assert.True(h.TryBuildPacket(1, out var iikeying));
        return iikeying.Packet;
    }

    /// <summary>
    /// IIKeyings from <paramref name="from"/>, each with its own valid cookie (made with <paramref name="secret"/>, as the
    /// node's own) and session ID, carrying the certificate and SKIC of <paramref name="template"/>.
    /// </summary>
    public static void ForgeIIKeyings(FrontNode node, UdpEndpoint endpoint, byte[] secret, SocketAddress from, byte[] template, int first, int count)
    {
        Assert.True(StartupPacket.TryRead(template, out var chunks) && chunks.MoveNext());
        Assert.True(IIKeyingChunk.TryRead(chunks.Current.Payload, out var keying));
        var jar = new CookieJar(secret, TimeSpan.FromMinutes(10));
        var cookie = new byte[CookieJar.CookieLength];
        var buffer = new byte[PacketLimits.MaxStartupPacketLength];
        for (int i = first; i < first + count; i++)
        {
            jar.Create(BitConverter.GetBytes(i), from, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), cookie);
            int n = StartupPacketWriter.WriteIIKeying(buffer, i, (uint)(i + 10), cookie, keying.InitiatorCertificate, keying.SessionKeyInitiatorComponent, default);
            node.Gateway.OnDatagram(endpoint, Startup(buffer.AsSpan(0, n)), from);
        }
    }
}
