using Rtmfp.Cluster;
using Rtmfp.Flash;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Sessions.Tests.Flash;

public class PeerDirectoryTests
{
    private static PeerId Id(byte seed) => PeerId.FromBytes(Enumerable.Range(0, 32).Select(i => (byte)(seed + i)).ToArray());

    private static Address Parse(string text) => PeerInfoAddress.TryParse(text, out var a) ? a : throw new ArgumentException(text);

    private static readonly Address Initiator = Address.FromIPv4(0xCB007105, 61000); // 203.0.113.5:61000

    private static FlashTestClient ConnectedPeer(PeerDirectory directory, PeerId id, Address observed, ApplicationRegistry? registry = null, params string[] reported)
    {
        var client = new FlashTestClient(new StreamRelay(), registry, directory: directory, peerId: id, observed: observed);
        client.Connect();
        client.Send(0, FlashTestClient.CommandMessage("setPeerInfo", 0, AmfNull.Instance, [.. reported.Select(r => (AmfValue)r)]));
        return client;
    }

    [Fact]
    public void Known_peer_is_introduced_with_a_Redirect_and_an_FIHello()
    {
        var directory = new PeerDirectory();
        var target = Id(1);
        var observed = Address.FromIPv4(0xC6336401, 40000); // 198.51.100.1:40000
        var peer = ConnectedPeer(directory, target, observed, null, "192.168.1.10:50001", "198.51.100.1:40000", "[2001:db8::2]:50002");
        Assert.True(directory.TryGet(target, out var entry));
        Assert.Same(peer.Connection, entry.Client);
        Assert.Same(peer, entry.TransportHandle);

        Span<byte> fingerprint = stackalloc byte[32];
        target.CopyTo(fingerprint);
        Assert.Equal(PeerLookupOutcome.Introduced, directory.Lookup(fingerprint, Initiator, out var intro));

        var buffer = new byte[512];
        var writer = new WireWriter(buffer);
        byte[] tag = [.. Enumerable.Range(100, 16).Select(i => (byte)i)];
        intro.WriteRedirect(ref writer, tag);
        var redirectChunk = writer.Written.ToArray();
        Assert.Equal((byte)ChunkType.ResponderRedirect, redirectChunk[0]);
        Assert.True(ResponderRedirectChunk.TryRead(redirectChunk.AsSpan(3), out var redirect));
        Assert.Equal(tag, redirect.TagEcho.ToArray());
        var addresses = new List<Address>();
        foreach (var a in redirect.GetDestinations())
        {
            addresses.Add(a);
        }
        Assert.Equal(
            [observed.WithOrigin(AddressOrigin.Observed), Parse("192.168.1.10:50001"), Parse("[2001:db8::2]:50002")],
            addresses);

        writer = new WireWriter(buffer);
        intro.WriteForwardedHello(ref writer, tag);
        var fihelloChunk = writer.Written.ToArray();
        Assert.Equal((byte)ChunkType.FIHello, fihelloChunk[0]);
        Assert.True(FIHelloChunk.TryRead(fihelloChunk.AsSpan(3), out var fihello));
        Assert.Equal(EndpointDiscriminator.CreateCanonical(target.ToArray()), fihello.EndpointDiscriminator.ToArray());
        Assert.Equal(Initiator.WithOrigin(AddressOrigin.Observed), fihello.ReplyAddress);
        Assert.Equal(tag, fihello.Tag.ToArray());
    }

    [Fact]
    public void Peers_behind_the_same_NAT_get_local_addresses_first()
    {
        var directory = new PeerDirectory();
        var target = Id(2);
        var observed = Address.FromIPv4(0xCB007105, 40000); // same public IP as the initiator
        ConnectedPeer(directory, target, observed, null, "192.168.1.10:50001");
        Assert.Equal(PeerLookupOutcome.Introduced, directory.Lookup(target.ToArray(), Initiator, out var intro));
        var addresses = new Address[8];
        int n = intro.GetRedirectAddresses(addresses);
        Assert.Equal([Parse("192.168.1.10:50001"), observed.WithOrigin(AddressOrigin.Observed)], addresses[..n]);
    }

    [Fact]
    public void Unknown_peers_and_malformed_fingerprints_are_not_introduced()
    {
        var directory = new PeerDirectory();
        ConnectedPeer(directory, Id(3), Initiator);
        Assert.Equal(PeerLookupOutcome.UnknownPeer, directory.Lookup(Id(4).ToArray(), Initiator, out _));
        Assert.Equal(PeerLookupOutcome.UnknownPeer, directory.Lookup(new byte[31], Initiator, out _));
        Assert.Equal(PeerLookupOutcome.UnknownPeer, directory.Lookup([], Initiator, out _));
    }

    [Fact]
    public void The_target_application_may_refuse_and_a_throwing_application_refuses()
    {
        var directory = new PeerDirectory();
        var app = new ScriptedApplication { Lookup = l => l.InitiatorAddress.Port != 666 };
        var target = Id(5);
        var peer = ConnectedPeer(directory, target, Address.FromIPv4(0x0A000001, 1), new ApplicationRegistry().Map("*", app));
        Assert.Equal(PeerLookupOutcome.Refused, directory.Lookup(target.ToArray(), Address.FromIPv4(0x0A000002, 666), out _));
        Assert.Equal(PeerLookupOutcome.Introduced, directory.Lookup(target.ToArray(), Initiator, out _));
        Assert.Equal(2, app.Lookups.Count);
        Assert.Same(peer.Connection, app.Lookups[0].Target);

        app.Lookup = _ => throw new InvalidOperationException("boom");
        Assert.Equal(PeerLookupOutcome.Refused, directory.Lookup(target.ToArray(), Initiator, out _));
    }

    [Fact]
    public void Entries_follow_the_connection_lifetime_and_address_changes()
    {
        var directory = new PeerDirectory();
        var id = Id(6);
        var client = new FlashTestClient(new StreamRelay(), directory: directory, peerId: id);
        Assert.Equal(0, directory.Count);
        client.Connect();
        Assert.Equal(1, directory.Count);

        var moved = Address.FromIPv4(0xC0000201, 7000);
        client.Connection.OnAddressChanged(moved);
        Assert.True(directory.TryGet(id, out var entry));
        Assert.Equal(moved, entry.ObservedAddress);

        // A second connection with the same peer ID waits; it takes the ID when the first leaves.
        var other = new FlashTestClient(new StreamRelay(), directory: directory, peerId: id);
        other.Connect();
        client.Connection.Close();
        Assert.True(directory.TryGet(id, out entry));
        Assert.Same(other.Connection, entry.Client);
        other.Connection.OnPeerClosed(abrupt: true);
        Assert.Equal(0, directory.Count);
    }

    [Fact]
    public void A_second_session_claiming_a_live_peer_id_does_not_take_it_over()
    {
        // Security review finding 11: replaying a client's certificate gives its peer ID, and the newest
        // registration won, so introductions went to the attacker.
        var directory = new PeerDirectory();
        var id = Id(7);
        var victim = ConnectedPeer(directory, id, Address.FromIPv4(0xC6336401, 40000), null, "192.168.1.10:50001");
        var attacker = ConnectedPeer(directory, id, Address.FromIPv4(0xCB007163, 6666), null, "10.9.9.9:6666");
        Span<byte> fingerprint = stackalloc byte[32];
        id.CopyTo(fingerprint);

        for (int i = 0; i < 3; i++)
        {
            attacker.Connection.OnAddressChanged(Address.FromIPv4(0xCB007163, (ushort)(7000 + i))); // registers again
            Assert.Equal(PeerLookupOutcome.Introduced, directory.Lookup(fingerprint, Initiator, out var intro));
            Assert.Same(victim.Connection, intro.Target.Client);
        }
        Assert.Equal(1, directory.Count);

        // The attacker leaving changes nothing; the victim leaving lets the next claimant have the ID.
        var third = ConnectedPeer(directory, id, Address.FromIPv4(0xC0000202, 8000));
        attacker.Connection.OnPeerClosed(abrupt: true);
        Assert.Equal(PeerLookupOutcome.Introduced, directory.Lookup(fingerprint, Initiator, out var still));
        Assert.Same(victim.Connection, still.Target.Client);
        victim.Connection.OnPeerClosed(abrupt: true);
        Assert.Equal(PeerLookupOutcome.Introduced, directory.Lookup(fingerprint, Initiator, out var next));
        Assert.Same(third.Connection, next.Target.Client);
        third.Connection.OnPeerClosed(abrupt: true);
        Assert.Equal(PeerLookupOutcome.UnknownPeer, directory.Lookup(fingerprint, Initiator, out _));
    }
}
