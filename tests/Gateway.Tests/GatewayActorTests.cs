using System.Buffers;
using System.Net;
using Akka.Actor;
using Akka.TestKit.Xunit;
using Microsoft.Extensions.Logging.Abstractions;
using Rtmfp.Gateway.Transport;
using Rtmfp.Cluster;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Shared.Wire;
using Rtmfp.Integration.Tests.Support;

namespace Rtmfp.Gateway.Tests;

/// <summary>
/// Once a session entity has answered, the gateway sends that session's packets straight to it (not through the
/// shard region), watches it, and falls back to the region when it stops. Session actors on this node reach the
/// gateway by a direct call (<see cref="LocalGateways"/>).
/// </summary>
public sealed class GatewayActorTests : TestKit
{
    private const uint SessionId = 0x0a0b0c0d;
    private static readonly byte[] KeyA = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
    private static readonly byte[] KeyB = Enumerable.Range(101, 16).Select(i => (byte)i).ToArray();
    private static readonly SocketAddress Client = IPEndPoint.Parse("127.0.0.1:40001").Serialize();

    private readonly RtmfpMetrics _metrics = new();
    private readonly UdpEndpoint _endpoint = new(new IPEndPoint(IPAddress.Loopback, 0));

    protected override void AfterAll()
    {
        _endpoint.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
        _metrics.Dispose();
        base.AfterAll();
    }

    /// <summary>What the gateway actor passes to the handshake front.</summary>
    private sealed class StartupCalls : IStartupHandler
    {
        public System.Collections.Concurrent.ConcurrentQueue<object> Calls { get; } = new();
        public void OnStartupPacket(UdpEndpoint endpoint, ReadOnlySpan<byte> encryptedPacket, SocketAddress from) { }
        public void OnSessionOpened(SessionOpened opened, UdpEndpoint? endpoint) => Calls.Enqueue((opened, endpoint));
        public void OnCollision(SessionIdCollision collision) => Calls.Enqueue(collision);
        public void OnSessionClosed(uint sessionId) => Calls.Enqueue(sessionId);
        public void OnPeerRedirect(PeerRedirect redirect, UdpEndpoint endpoint, RtmfpMetrics metrics) => Calls.Enqueue((redirect, endpoint));

        /// <summary>What <see cref="ArrivalOf"/> answers: the endpoint a handshake's IIKeying came to.</summary>
        public UdpEndpoint? Arrival { get; set; }

        public UdpEndpoint? ArrivalOf(uint sessionId) => Arrival;
    }

    // The gateway encrypts with A and decrypts with B; the client the other way round.
    private static SessionCryptoMaterial GatewayKeys(PacketVerificationSettings verification = default) =>
        new(KeyA, KeyB, new byte[32], new byte[32], new byte[32], new byte[32], verification);

    /// <summary>Sequence numbers on the wire both ways (RFC 7425 §4.6.6), so the client sees the one the gateway chose.</summary>
    private static readonly PacketVerificationSettings Sseq = new(0, 0, true, true);

    private static byte[] ClientDatagram(byte marker, PacketVerificationSettings verification = default)
    {
        using var client = ClientContext(verification);
        byte[] plain = [0x89, 0x00, 0x01, marker, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
        var datagram = new byte[4 + plain.Length + SessionCryptoContext.MaxOverhead];
        int n = client.Encrypt(plain, datagram.AsSpan(4));
        Multiplex.ScrambleSessionId(datagram.AsSpan(0, 4 + n), SessionId);
        return datagram[..(4 + n)];
    }

    private readonly StartupCalls _startup = new();

    private (RtmfpGateway Gateway, IActorRef Actor, Akka.TestKit.TestProbe Region) Start(TimeSpan? farCloseLinger = null)
    {
        var region = CreateTestProbe();
        var gateway = new RtmfpGateway(region.Ref, new SessionKeyCache(), _metrics, NullLogger.Instance);
        var startup = _startup;
        var actor = Sys.ActorOf(Props.Create(() => new GatewayActor(gateway, new[] { _endpoint }, startup, _metrics, farCloseLinger)));
        gateway.Attach(startup, actor, [_endpoint]);
        return (gateway, actor, region);
    }

    /// <summary>The entity (<paramref name="session"/>) answers with the keys; once the gateway knows it, packets go to it directly.</summary>
    private void AnsweredBy(IActorRef actor, RtmfpGateway gateway, Akka.TestKit.TestProbe session)
    {
        actor.Tell(new SessionKeysReply(SessionId, 0x11, GatewayKeys(), Client), session.Ref);
        AwaitCondition(() => gateway.Cache.TryGet(SessionId, out var e) && session.Ref.Equals(e.Session));
    }

    private void Handled(IActorRef actor) => actor.Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(10)).Wait(TimeSpan.FromSeconds(10));

    private static SessionCryptoContext ClientContext(PacketVerificationSettings verification = default) =>
        new(SessionKeys.FromParts(KeyB, KeyA, new byte[32], new byte[32], new byte[32], new byte[32]), verification);

    private static System.Net.Sockets.Socket Receiver()
    {
        var receiver = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp) { ReceiveTimeout = 2000 };
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return receiver;
    }

    /// <summary>The byte after the packet header (ClientDatagram's marker), whether or not the gateway removed the timestamp.</summary>
    private static byte MarkerOf(InboundPacket packet) => MarkerOf(packet, out _);

    private static byte MarkerOf(InboundPacket packet, out bool hasTimestamp)
    {
        try
        {
            Assert.True(PacketHeader.TryRead(packet.Buffer.AsSpan(packet.Offset, packet.Length), out var header, out int headerLength));
            hasTimestamp = header.HasTimestamp;
            return packet.Buffer[packet.Offset + headerLength];
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(packet.Buffer);
        }
    }

    /// <summary>The marker of a packet the gateway held: its timestamp was removed (HeldPackets).</summary>
    private static byte HeldMarkerOf(InboundPacket packet)
    {
        byte marker = MarkerOf(packet, out bool hasTimestamp);
        Assert.False(hasTimestamp);
        return marker;
    }

    [Fact]
    public void Packets_go_to_the_entity_that_answered_and_back_to_the_region_when_it_stops()
    {
        var (gateway, actor, region) = Start();
        var session = CreateTestProbe();

        // Before any answer the region routes.
        actor.Tell(new SessionKeysReply(SessionId, 0x11, GatewayKeys(), Client), ActorRefs.NoSender);
        AwaitCondition(() => gateway.Cache.TryGet(SessionId, out _));
        gateway.OnDatagram(_endpoint, ClientDatagram(1), Client);
        Assert.Equal(1, MarkerOf(region.ExpectMsg<InboundPacket>()));

        // The entity answers (SessionOpened or SessionKeysReply): it gets the next packets itself.
        AnsweredBy(actor, gateway, session);
        gateway.OnDatagram(_endpoint, ClientDatagram(2), Client);
        Assert.Equal(2, MarkerOf(session.ExpectMsg<InboundPacket>()));
        region.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        // It stops (handed off, crashed): the gateway asks the region for the next incarnation at once (a client that only
        // receives may not send for a while), and packets go through the region until that incarnation answers.
        Sys.Stop(session.Ref);
        Assert.Equal(SessionId, region.ExpectMsg<FetchSessionKeys>().SessionId);
        AwaitCondition(() => gateway.Cache.TryGet(SessionId, out var e) && e.Session is null);
        gateway.OnDatagram(_endpoint, ClientDatagram(3), Client);
        Assert.Equal(3, MarkerOf(region.ExpectMsg<InboundPacket>()));
    }

    [Fact]
    public void While_the_entitys_node_is_unreachable_its_newest_packets_wait_and_follow_the_wake_up_through_the_region()
    {
        var (gateway, actor, region) = Start();
        var session = CreateTestProbe();
        AnsweredBy(actor, gateway, session);
        using var counters = new MetricCollector(_metrics);

        // Another node (here: the probe's) is unreachable: nothing goes to it, nothing to the region yet.
        actor.Tell(new GatewayActor.NodeReachability(session.Ref.Path.Address, Reachable: false));
        AwaitCondition(() => gateway.Cache.TryGet(SessionId, out var e) && e.Hold is not null);
        for (byte marker = 1; marker <= 10; marker++)
        {
            gateway.OnDatagram(_endpoint, ClientDatagram(marker), Client);
        }
        session.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        region.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        Assert.Equal(2, counters["rtmfp.gateway.packets.dropped{node_unreachable}"]);

        // The node is removed and the entity with it: the wake-up first, then the newest eight, oldest first.
        Sys.Stop(session.Ref);
        Assert.Equal(SessionId, region.ExpectMsg<FetchSessionKeys>().SessionId);
        Assert.Equal([3, 4, 5, 6, 7, 8, 9, 10], Enumerable.Range(0, 8).Select(_ => HeldMarkerOf(region.ExpectMsg<InboundPacket>())));
        AwaitCondition(() => gateway.Cache.TryGet(SessionId, out var e) && e.Hold is null && e.Session is null);
        Assert.Equal(0, gateway.Held.Held);

        // Later packets go through the region as usual.
        gateway.OnDatagram(_endpoint, ClientDatagram(11), Client);
        Assert.Equal(11, MarkerOf(region.ExpectMsg<InboundPacket>()));
    }

    [Fact]
    public void A_node_reachable_again_gets_what_was_held_for_its_entity_and_a_closed_session_returns_its_hold()
    {
        var (gateway, actor, region) = Start();
        var session = CreateTestProbe();
        AnsweredBy(actor, gateway, session);

        // A node elsewhere is unreachable: this session's packets still go to its entity.
        actor.Tell(new GatewayActor.NodeReachability(new Akka.Actor.Address("akka.tcp", "rtmfp", "127.0.0.1", 1), Reachable: false));
        Handled(actor);
        gateway.OnDatagram(_endpoint, ClientDatagram(1), Client);
        Assert.Equal(1, MarkerOf(session.ExpectMsg<InboundPacket>()));

        actor.Tell(new GatewayActor.NodeReachability(session.Ref.Path.Address, Reachable: false));
        Handled(actor);
        gateway.OnDatagram(_endpoint, ClientDatagram(2), Client);
        gateway.OnDatagram(_endpoint, ClientDatagram(3), Client);
        session.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        actor.Tell(new GatewayActor.NodeReachability(session.Ref.Path.Address, Reachable: true));
        Assert.Equal([2, 3], new[] { HeldMarkerOf(session.ExpectMsg<InboundPacket>()), HeldMarkerOf(session.ExpectMsg<InboundPacket>()) });
        gateway.OnDatagram(_endpoint, ClientDatagram(4), Client);
        Assert.Equal(4, MarkerOf(session.ExpectMsg<InboundPacket>()));
        region.ExpectNoMsg(TimeSpan.FromMilliseconds(50));

        // Held again, then the session closes: its buffers and bytes go back, nothing is sent.
        actor.Tell(new GatewayActor.NodeReachability(session.Ref.Path.Address, Reachable: false));
        Handled(actor);
        gateway.OnDatagram(_endpoint, ClientDatagram(5), Client);
        Assert.True(gateway.Held.Held > 0);
        actor.Tell(new SessionClosed(SessionId));
        AwaitCondition(() => !gateway.Cache.TryGet(SessionId, out _));
        Assert.Equal(0, gateway.Held.Held);
        session.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        region.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void Datagrams_that_came_before_the_keys_go_on_once_they_come_and_a_removed_node_fetches_again()
    {
        var (gateway, actor, region) = Start();
        var session = CreateTestProbe();

        // A client new to this gateway (its own died): no keys, so the datagrams wait and the keys are asked for.
        gateway.OnDatagram(_endpoint, ClientDatagram(1), Client);
        gateway.OnDatagram(_endpoint, ClientDatagram(2), Client);
        gateway.OnDatagram(_endpoint, ClientDatagram(3), Client);
        Assert.Equal(SessionId, region.ExpectMsg<FetchSessionKeys>().SessionId);
        region.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // one fetch per second per ID
        Assert.Equal(1, gateway.AwaitingKeys.Sessions);

        // The fetch went to a node that was then removed: it is sent again at once.
        actor.Tell(new GatewayActor.NodeRemoved(new Akka.Actor.Address("akka.tcp", "rtmfp", "127.0.0.1", 1)));
        Assert.Equal(SessionId, region.ExpectMsg<FetchSessionKeys>().SessionId);

        // The resumed entity answers: the newest two go to it, without their timestamps, and nothing waits any more.
        actor.Tell(new SessionKeysReply(SessionId, 0x11, GatewayKeys(), Client), session.Ref);
        Assert.Equal([2, 3], new[] { HeldMarkerOf(session.ExpectMsg<InboundPacket>()), HeldMarkerOf(session.ExpectMsg<InboundPacket>()) });
        Assert.Equal(0, gateway.AwaitingKeys.Sessions);
        gateway.OnDatagram(_endpoint, ClientDatagram(4), Client);
        Assert.Equal(4, MarkerOf(session.ExpectMsg<InboundPacket>()));

        // An ID no entity knows: what waited for it is dropped.
        actor.Tell(new SessionClosed(SessionId));
        AwaitCondition(() => !gateway.Cache.TryGet(SessionId, out _));
        gateway.OnDatagram(_endpoint, ClientDatagram(6), Client);
        AwaitCondition(() => gateway.AwaitingKeys.Sessions == 1);
        actor.Tell(new UnknownSession(SessionId));
        AwaitCondition(() => gateway.AwaitingKeys.Sessions == 0 && gateway.AwaitingKeys.Bytes == 0);
    }

    [Fact(Timeout = 30_000)]
    public async Task An_opened_session_answers_from_the_endpoint_its_IIKeying_came_to_not_the_first_of_its_family()
    {
        // A node serving 127.0.0.1 first and another address second: the RIKeying must leave from the second one.
        await using var second = new UdpEndpoint(new IPEndPoint(IPAddress.Loopback, 0));
        _startup.Arrival = second;
        var (gateway, actor, _) = Start();
        var opened = new SessionOpened(SessionId, 0x11, GatewayKeys(), Client, [1, 2, 3]);
        actor.Tell(opened, CreateTestProbe().Ref);
        Handled(actor);
        Assert.Contains((opened, (UdpEndpoint?)second), _startup.Calls.OfType<(SessionOpened, UdpEndpoint?)>());
        Assert.True(gateway.Cache.TryGet(SessionId, out var entry));
        Assert.Same(second, entry.Endpoint);
    }

    [Fact]
    public void A_closed_session_is_forgotten_and_its_entity_no_longer_watched()
    {
        var (gateway, actor, region) = Start();
        var session = CreateTestProbe();
        actor.Tell(new SessionKeysReply(SessionId, 0x11, GatewayKeys(), Client), session.Ref);
        AwaitCondition(() => gateway.Cache.TryGet(SessionId, out var e) && e.Session is not null);
        actor.Tell(new SessionClosed(SessionId), session.Ref);
        AwaitCondition(() => !gateway.Cache.TryGet(SessionId, out _));

        // Without keys a packet is dropped and the keys are asked for through the region.
        gateway.OnDatagram(_endpoint, ClientDatagram(4), Client);
        Assert.Equal(SessionId, region.ExpectMsg<FetchSessionKeys>().SessionId);
    }

    [Fact]
    public void Session_packets_from_this_node_leave_encrypted_under_the_session_key()
    {
        var (gateway, actor, _) = Start();
        using var receiver = Receiver();
        var to = receiver.LocalEndPoint!.Serialize();
        actor.Tell(new SessionKeysReply(SessionId, 0x77665544, GatewayKeys(), to), ActorRefs.NoSender);
        AwaitCondition(() => gateway.Cache.TryGet(SessionId, out _));

        LocalGateways.Get(Sys).Register(actor, gateway);
        try
        {
            var sink = LocalGateways.Get(Sys).Find(actor);
            Assert.Same(gateway, sink);
            byte[] plain = [0x8d, 0x00, 0x01, 0x42, 0x00, 0x00];
            for (int i = 0; i < 3; i++)
            {
                sink!.Send(SessionId, 0x77665544, plain, 0, to);
            }
            sink!.Flush();
        }
        finally
        {
            LocalGateways.Get(Sys).Unregister(actor);
        }
        Assert.Null(LocalGateways.Get(Sys).Find(actor));

        using var client = ClientContext();
        var buffer = new byte[2048];
        var plainOut = new byte[2048];
        for (int i = 0; i < 3; i++)
        {
            int n = receiver.Receive(buffer);
            Assert.True(Multiplex.TryUnscrambleSessionId(buffer.AsSpan(0, n), out uint farId));
            Assert.Equal(0x77665544u, farId);
            Assert.True(client.TryDecryptUnwindowed(buffer.AsSpan(4, n - 4), plainOut, out int offset, out int length, out _));
            // RFC 7425 §4.6.3: the packet, then 0xff padding to the cipher block.
            var got = plainOut.AsSpan(offset, length);
            Assert.Equal([0x8d, 0x00, 0x01, 0x42, 0x00, 0x00], got[..6].ToArray());
            Assert.True(got[6..].IndexOfAnyExcept((byte)0xff) < 0);
        }
    }

    [Fact]
    public void An_answer_without_a_sender_leaves_the_packets_to_the_region()
    {
        var (gateway, actor, region) = Start();
        actor.Tell(new SessionKeysReply(SessionId, 0x11, GatewayKeys(), Client), ActorRefs.NoSender);
        actor.Tell(new SessionKeysReply(SessionId, 0x11, GatewayKeys(), Client), ActorRefs.Nobody);
        Handled(actor);
        Assert.True(gateway.Cache.TryGet(SessionId, out var entry));
        Assert.Null(entry.Session);
        gateway.OnDatagram(_endpoint, ClientDatagram(5), Client);
        Assert.Equal(5, MarkerOf(region.ExpectMsg<InboundPacket>()));
        region.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void The_handshake_front_hears_of_opened_collided_closed_and_redirected_sessions()
    {
        var (gateway, actor, _) = Start();
        var session = CreateTestProbe();
        var opened = new SessionOpened(SessionId, 0x11, GatewayKeys(), Client, [1, 2, 3]);
        actor.Tell(opened, session.Ref);
        var collision = new SessionIdCollision(SessionId + 1, new byte[64]);
        actor.Tell(collision);
        var redirect = new PeerRedirect([9, 9], Client);
        actor.Tell(redirect);
        actor.Tell(new SessionClosed(SessionId));
        Handled(actor);
        Assert.Equal<object>([(opened, (UdpEndpoint?)_endpoint), collision, (redirect, _endpoint), SessionId], _startup.Calls);
        Assert.False(gateway.Cache.TryGet(SessionId, out _));

        // While it was open, its packets went to the entity that answered.
        actor.Tell(new SessionOpened(SessionId + 2, 0x12, GatewayKeys(), Client, [1]), session.Ref);
        Handled(actor);
        Assert.True(gateway.Cache.TryGet(SessionId + 2, out var entry));
        Assert.Equal(session.Ref, entry.Session);
    }

    [Fact]
    public void A_session_whose_state_is_gone_gets_a_Close_Request_under_its_keys_and_its_ID_is_not_looked_up_again()
    {
        var (gateway, actor, region) = Start();
        using var receiver = Receiver();
        var to = receiver.LocalEndPoint!.Serialize();
        actor.Tell(new SessionKeysReply(SessionId, 0x77665544, GatewayKeys(Sseq), to), ActorRefs.NoSender);
        Handled(actor);
        gateway.OnDatagram(_endpoint, ClientDatagram(1, Sseq), to); // the client was last heard from here
        region.ExpectMsg<InboundPacket>(p => ArrayPool<byte>.Shared.Return(p.Buffer));
        using var counters = new MetricCollector(_metrics);

        actor.Tell(new UnknownSession(SessionId));
        ulong sequence = ReceiveSessionControl(receiver, 0x77665544u, ChunkType.SessionCloseRequest); // RFC 7016 §3.5.5
        Assert.Equal(GatewayActor.LostSessionSequenceNumber, sequence);
        Handled(actor);
        Assert.Equal(1, counters["rtmfp.session.lost"]);
        Assert.False(gateway.Cache.TryGet(SessionId, out _));
        Assert.Contains(SessionId, _startup.Calls.OfType<uint>());

        // Its client's next datagrams are dropped without asking the entities again (for a while).
        gateway.OnDatagram(_endpoint, ClientDatagram(2, Sseq), to);
        region.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        // An UnknownSession for keys this gateway never held: nothing to close, the ID is marked all the same.
        actor.Tell(new UnknownSession(SessionId + 9));
        Handled(actor);
        Assert.True(gateway.Cache.IsKnownUnknown(SessionId + 9, Environment.TickCount64 + RtmfpGateway.UnknownSessionTtlMs - 1_000));
        Assert.Equal(1, counters["rtmfp.session.lost"]);
    }

    [Fact]
    public void A_session_packet_told_to_the_actor_leaves_encrypted()
    {
        var (_, actor, _) = Start();
        using var receiver = Receiver();
        var to = receiver.LocalEndPoint!.Serialize();
        actor.Tell(new SessionKeysReply(SessionId, 0x01020304, GatewayKeys(), to), ActorRefs.NoSender);
        var buffer = ArrayPool<byte>.Shared.Rent(64);
        byte[] packet = [0x8d, 0x00, 0x01, 0x43, 0x00, 0x00];
        packet.CopyTo(buffer, 0);
        actor.Tell(new OutboundPacket(SessionId, 0x01020304, buffer, packet.Length, 77, to));
        var received = new byte[2048];
        int n = receiver.Receive(received);
        using var client = ClientContext();
        var plain = new byte[2048];
        Assert.True(client.TryDecryptUnwindowed(received.AsSpan(4, n - 4), plain, out int offset, out _, out _));
        Assert.Equal(packet, plain.AsSpan(offset, packet.Length).ToArray());
    }

    /// <summary>
    /// The one-chunk packet the gateway sent to <paramref name="receiver"/> for the client's session (its far ID
    /// <paramref name="farSessionId"/>, sequence numbers on): its chunk is <paramref name="expected"/>; returns its session sequence number.
    /// </summary>
    private static ulong ReceiveSessionControl(System.Net.Sockets.Socket receiver, uint farSessionId, ChunkType expected)
    {
        var received = new byte[2048];
        int n = receiver.Receive(received);
        Assert.True(Multiplex.TryUnscrambleSessionId(received.AsSpan(0, n), out uint farId));
        Assert.Equal(farSessionId, farId);
        using var client = ClientContext(Sseq);
        var plain = new byte[2048];
        Assert.True(client.TryDecryptUnwindowed(received.AsSpan(4, n - 4), plain, out int offset, out int length, out ulong sequence));
        Assert.True(PlainPacket.TryRead(plain.AsSpan(offset, length), out var header, out var chunks) && chunks.MoveNext());
        Assert.Equal(PacketMode.ResponderMark, header.Mode);
        Assert.Equal(expected, chunks.Current.Type);
        return sequence;
    }

    [Fact(Timeout = 30_000)]
    public async Task A_far_closed_session_lingers_here_answering_Close_Requests_then_its_keys_go()
    {
        await Task.Yield();
        var (gateway, actor, region) = Start(farCloseLinger: TimeSpan.FromMilliseconds(600));
        var session = CreateTestProbe();
        using var receiver = Receiver();
        var to = receiver.LocalEndPoint!.Serialize();
        actor.Tell(new SessionKeysReply(SessionId, 0x11, GatewayKeys(Sseq), to), session.Ref);
        AwaitCondition(() => gateway.Cache.TryGet(SessionId, out var e) && session.Ref.Equals(e.Session));

        // The entity acknowledged the client's close and stopped (RFC 7016 §3.5.5.2): the gateway lingers for it.
        actor.Tell(new SessionLingering(SessionId, 500), session.Ref);
        Handled(actor);
        Assert.True(gateway.Cache.TryGet(SessionId, out var entry) && entry.IsLingering);
        Assert.Contains(SessionId, _startup.Calls.OfType<uint>()); // no longer counted against its source

        // Each retransmitted Close Request is acknowledged under the session's keys, numbered on from the entity's count.
        gateway.OnDatagram(_endpoint, ClientDatagram((byte)ChunkType.SessionCloseRequest, Sseq), to);
        Assert.Equal(500ul, ReceiveSessionControl(receiver, 0x11, ChunkType.SessionCloseAcknowledgement));
        gateway.OnDatagram(_endpoint, ClientDatagram((byte)ChunkType.SessionCloseRequest, Sseq), to);
        Assert.Equal(501ul, ReceiveSessionControl(receiver, 0x11, ChunkType.SessionCloseAcknowledgement));
        // Anything else is ignored: no answer, nothing to the entity or the region.
        gateway.OnDatagram(_endpoint, ClientDatagram((byte)ChunkType.Ping, Sseq), to);
        Assert.False(receiver.Poll(300_000, System.Net.Sockets.SelectMode.SelectRead));
        session.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        region.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        // An entity's late UnknownSession does not send the client a Close Request as for a lost session.
        actor.Tell(new UnknownSession(SessionId));
        Handled(actor);
        Assert.False(receiver.Poll(200_000, System.Net.Sockets.SelectMode.SelectRead));

        // The linger ends: the keys go.
        AwaitCondition(() => !gateway.Cache.TryGet(SessionId, out _), TimeSpan.FromSeconds(5));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_new_session_under_a_lingering_ID_gets_its_own_keys_and_keeps_them_past_the_old_linger()
    {
        await Task.Yield();
        var (gateway, actor, _) = Start(farCloseLinger: TimeSpan.FromMilliseconds(300));
        var session = CreateTestProbe();
        actor.Tell(new SessionKeysReply(SessionId, 0x11, GatewayKeys(), Client), session.Ref);
        actor.Tell(new SessionLingering(SessionId, 0), session.Ref);
        Handled(actor);
        Assert.True(gateway.Cache.TryGet(SessionId, out var old) && old.IsLingering);

        var next = CreateTestProbe();
        actor.Tell(new SessionKeysReply(SessionId, 0x22, GatewayKeys(), Client), next.Ref);
        Handled(actor);
        Assert.True(gateway.Cache.TryGet(SessionId, out var current) && !current.IsLingering && current.FarSessionId == 0x22);
        Assert.True(old.Crypto.IsDisposed);
        await Task.Delay(900); // past the old entry's linger and the sweep after it
        Handled(actor);
        Assert.True(gateway.Cache.TryGet(SessionId, out var still) && ReferenceEquals(current, still));
    }

    [Fact]
    public void A_draining_gateway_forgets_lingering_sessions_at_once_and_keeps_the_open_ones()
    {
        var (gateway, actor, _) = Start();
        actor.Tell(new SessionKeysReply(SessionId, 0x11, GatewayKeys(), Client), CreateTestProbe().Ref);
        actor.Tell(new SessionKeysReply(SessionId + 1, 0x12, GatewayKeys(), Client), CreateTestProbe().Ref);
        actor.Tell(new SessionLingering(SessionId, 0));
        Handled(actor);
        gateway.BeginDrain();
        Assert.False(gateway.Cache.TryGet(SessionId, out _));
        Assert.True(gateway.Cache.TryGet(SessionId + 1, out _));
    }
}
