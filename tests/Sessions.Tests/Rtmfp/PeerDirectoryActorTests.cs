using System.Net;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.TestKit.Xunit;
using Rtmfp.Sessions.Rendezvous;
using Rtmfp.Cluster;

namespace Rtmfp.Sessions.Tests.Rtmfp;

public class PeerDirectoryActorTests : TestKit
{
    private static readonly byte[] Peer = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly SocketAddress Initiator = IPEndPoint.Parse("192.0.2.7:5000").Serialize();

    private IActorRef Spawn(out Akka.TestKit.TestProbe parent, TimeSpan? departedMemory = null)
    {
        var probe = CreateTestProbe();
        parent = probe;
        var id = PeerDirectoryMessageExtractor.EntityIdOf(Peer);
        var memory = departedMemory ?? TimeSpan.FromMilliseconds(300);
        return Sys.ActorOf(Props.Create(() => new ParentProbe(Props.Create(() => new PeerDirectoryActor(id, memory)), probe.Ref)));
    }

    [Fact]
    public void A_lookup_reaches_the_registered_session_with_the_gateway_as_sender()
    {
        var entry = Spawn(out var parent);
        var session = CreateTestProbe();
        var gateway = CreateTestProbe();
        entry.Tell(new RegisterPeer(Peer), session.Ref);
        var lookup = new LookupPeer(Peer, [1, 2, 3], Initiator);
        entry.Tell(lookup, gateway.Ref);
        Assert.Same(lookup, session.ExpectMsg<LookupPeer>());
        Assert.Equal(gateway.Ref, session.LastSender);

        // A newer session with the same peer ID does not take over (security review finding 11: a replayed
        // certificate gives the same peer ID); it is served once the first has left.
        var newer = CreateTestProbe();
        entry.Tell(new RegisterPeer(Peer), newer.Ref);
        entry.Tell(lookup, gateway.Ref);
        session.ExpectMsg<LookupPeer>();
        newer.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        entry.Tell(new UnregisterPeer(Peer), session.Ref);
        entry.Tell(lookup, gateway.Ref);
        newer.ExpectMsg<LookupPeer>();
        parent.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Two_sessions_registering_the_same_peer_id_lookups_go_to_the_first_until_it_stops()
    {
        var entry = Spawn(out var parent);
        var first = CreateTestProbe();
        var second = CreateTestProbe();
        var gateway = CreateTestProbe();
        entry.Tell(new RegisterPeer(Peer), first.Ref);
        var lookup = new LookupPeer(Peer, [1], Initiator);
        for (int i = 0; i < 3; i++)
        {
            entry.Tell(new RegisterPeer(Peer), second.Ref); // registers again, as on every update
            entry.Tell(lookup, gateway.Ref);
            first.ExpectMsg<LookupPeer>();
        }
        second.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        Sys.Stop(first.Ref);
        AwaitAssert(() =>
        {
            entry.Tell(lookup, gateway.Ref);
            second.ExpectMsg<LookupPeer>(TimeSpan.FromMilliseconds(200));
        }, TimeSpan.FromSeconds(5));
        parent.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Unknown_peers_are_ignored_and_the_entity_passivates_at_once()
    {
        var entry = Spawn(out var parent);
        var gateway = CreateTestProbe();
        entry.Tell(new LookupPeer(Peer, [1], Initiator), gateway.Ref);
        parent.ExpectMsg<Passivate>();
        gateway.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void A_dead_or_unregistered_session_is_forgotten_after_its_departed_memory()
    {
        var entry = Spawn(out var parent);
        var session = CreateTestProbe();
        entry.Tell(new RegisterPeer(Peer), session.Ref);
        Sys.Stop(session.Ref);
        parent.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // remembered as departed (300 ms here) …
        parent.ExpectMsg<Passivate>(TimeSpan.FromSeconds(3)); // … then passivated

        var entry2 = Spawn(out var parent2);
        var s2 = CreateTestProbe();
        entry2.Tell(new RegisterPeer(Peer), s2.Ref);
        entry2.Tell(new UnregisterPeer(Peer), s2.Ref);
        parent2.ExpectMsg<Passivate>(TimeSpan.FromSeconds(3));
        entry2.Tell(new LookupPeer(Peer, [1], Initiator), TestActor);
        s2.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void A_departed_peer_is_answered_with_a_wildcard_only_redirect_until_it_registers_again()
    {
        var entry = Spawn(out var parent, TimeSpan.FromMinutes(5));
        var session = CreateTestProbe();
        var gateway = CreateTestProbe();
        entry.Tell(new RegisterPeer(Peer), session.Ref);
        entry.Tell(new UnregisterPeer(Peer), session.Ref);
        byte[] tag = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
        entry.Tell(new LookupPeer(Peer, tag, Initiator), gateway.Ref);

        var redirect = gateway.ExpectMsg<PeerRedirect>();
        Assert.Equal(Initiator, redirect.To);
        var (port, origin, count) = OnlyDestination(redirect.StartupPacket, tag);
        Assert.Equal((1, 0, Shared.Wire.AddressOrigin.Unknown), (count, port, origin));
        parent.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        // Back: lookups reach the session again; an empty tag is never answered.
        entry.Tell(new RegisterPeer(Peer), session.Ref);
        entry.Tell(new LookupPeer(Peer, tag, Initiator), gateway.Ref);
        session.ExpectMsg<LookupPeer>();
        entry.Tell(new UnregisterPeer(Peer), session.Ref);
        entry.Tell(new LookupPeer(Peer, [], Initiator), gateway.Ref);
        gateway.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    private static (ushort Port, Shared.Wire.AddressOrigin Origin, int Count) OnlyDestination(byte[] packet, byte[] tag)
    {
        Assert.True(Shared.Wire.StartupPacket.TryRead(packet, out var chunks));
        Assert.True(chunks.MoveNext());
        Assert.Equal(Shared.Wire.ChunkType.ResponderRedirect, chunks.Current.Type);
        Assert.True(Shared.Wire.ResponderRedirectChunk.TryRead(chunks.Current.Payload, out var redirect));
        Assert.Equal(tag, redirect.TagEcho.ToArray());
        int count = 0;
        Shared.Wire.Address last = default;
        foreach (var a in redirect.GetDestinations())
        {
            last = a;
            count++;
        }
        Assert.True(!last.IsIPv6 || count == 0);
        return (last.Port, last.Origin, count);
    }

    [Fact]
    public void A_stopping_entity_asks_its_session_to_register_again()
    {
        var entry = Spawn(out _);
        var session = CreateTestProbe();
        entry.Tell(new RegisterPeer(Peer), session.Ref);
        entry.Tell(new LookupPeer(Peer, [1], Initiator), TestActor);
        session.ExpectMsg<LookupPeer>(); // registered before the stop
        entry.Tell(PoisonPill.Instance); // stops the stand-in shard, and with it the entity
        Assert.Equal(Peer, session.ExpectMsg<PeerDirectoryStopped>().PeerId);
    }

    [Fact]
    public void Peer_ids_route_by_hex_and_short_ids_are_not_routed()
    {
        var extractor = new PeerDirectoryMessageExtractor(16);
        Assert.Equal(Convert.ToHexStringLower(Peer), extractor.EntityId(new RegisterPeer(Peer)));
        Assert.Equal(extractor.ShardId(new RegisterPeer(Peer)), extractor.ShardId(Convert.ToHexStringLower(Peer)));
        Assert.Null(extractor.EntityId(new RegisterPeer([1, 2, 3])));
        Assert.Equal("0", extractor.ShardId("zz"));
    }
}
