using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.TestKit.Xunit;
using Microsoft.Extensions.Logging.Abstractions;
using Rtmfp.Cluster;
using Rtmfp.Engine.Handshake;
using Rtmfp.Gateway.Handshake;
using Rtmfp.Gateway.Tests.Support;
using Rtmfp.Gateway.Transport;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Shared.Wire;
using static Rtmfp.Gateway.Tests.Support.StartupTraffic;

namespace Rtmfp.Gateway.Tests;

/// <summary>
/// The security review's gateway findings (issue 14: 4, 5, 6, 13), each attack reproduced in bounded form against the
/// real gateway datagram path, handshake front, worker pool and gateway actor, with stand-ins for the session region
/// and the peer directory that answer as entities do. A forged source is a socket of the test: what the node sends
/// to it is counted as the victim would see it.
/// </summary>
public sealed class SourceLimitTests : TestKit
{
    private static readonly byte[] Secret = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();

    /// <summary>The bound of RFC 7016 §5 as configured by default: bytes to an unverified address per byte from it.</summary>
    private const double Amplification = 5;

    private readonly UdpEndpoint _endpoint = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly List<Socket> _sockets = [];

    protected override void AfterAll()
    {
        foreach (var s in _sockets)
        {
            s.Dispose();
        }
        _endpoint.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
        base.AfterAll();
    }

    private Socket Socket(string address = "127.0.0.1")
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 300, ReceiveBufferSize = 8 << 20 };
        s.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
        _sockets.Add(s);
        return s;
    }

    private GatewayOptions Options() => new([_endpoint.LocalEndPoint], Secret, TimeSpan.FromMinutes(10), HandshakeWorkers: 2,
        HandshakeQueueLimit: 1024, SocketBufferBytes: 1 << 20, ShutdownCloseGrace: TimeSpan.FromSeconds(1));

    /// <summary>One startup packet (header of RFC 7016 §2.3.1 and timestamp) carrying the chunk of <paramref name="single"/> as many times as fit.</summary>
    private static byte[] Packed(byte[] single)
    {
        var chunk = single.AsSpan(StartupPacket.HeaderLength);
        var packet = new List<byte>(single[..StartupPacket.HeaderLength]);
        while (packet.Count + chunk.Length <= PacketLimits.MaxStartupPacketLength - 32)
        {
            packet.AddRange(chunk.ToArray());
        }
        return [.. packet];
    }

    private static byte[] Lookup(Random random)
    {
        var peer = new byte[32];
        random.NextBytes(peer);
        var tag = new byte[16];
        random.NextBytes(tag);
        return StartupPacketWriter.IHello(0, EndpointDiscriminator.CreateCanonical(peer), tag);
    }

    [Fact(Timeout = 60_000)]
    public async Task Forged_source_IHellos_packed_or_not_get_at_most_the_amplification_bound_and_others_still_get_their_RHello()
    {
        // Finding 4 (RFC 7016 §3.5.1, §5): every IHello chunk was answered, 23.9× the attacker's bytes.
        using var profile = FlashCryptoProfile.CreateServer();
        using var node = new FrontNode(Sys, _endpoint, Options(), profile);
        var victim = Socket();
        var from = victim.LocalEndPoint!.Serialize();
        var random = new Random(4);
        long sent = 0, received = 0;
        for (int i = 0; i < 300; i++)
        {
            var tag = new byte[i % 3 == 0 ? 16 : 1];
            random.NextBytes(tag);
            var ihello = StartupPacketWriter.IHello(i, EndpointDiscriminator.CreateForUri("rtmfp://x/"), tag);
            var datagram = Startup(i % 2 == 0 ? Packed(ihello) : ihello);
            sent += datagram.Length;
            node.Gateway.OnDatagram(_endpoint, datagram, from);
            received += Drain(victim, 0).Bytes; // the victim's buffer must not be what bounds it
        }
        received += Drain(victim).Bytes;
        double ratio = (double)received / sent;
        TestContext.Current.TestOutputHelper?.WriteLine($"IHello reflection: {sent:N0} B in, {received:N0} B to the victim ({ratio:0.00}×)");
        Assert.True(ratio <= Amplification, $"{sent} B in, {received} B to the forged source ({ratio:0.00}×)");

        // One datagram packed with IHellos, from a fresh source, is one IHello: one RHello.
        var packer = Socket("127.0.0.8");
        node.Gateway.OnDatagram(_endpoint, Startup(Packed(StartupPacketWriter.IHello(0, EndpointDiscriminator.CreateForUri("rtmfp://x/"), new byte[16]))),
            packer.LocalEndPoint!.Serialize());
        Assert.Single(Drain(packer).Datagrams);

        // Small single IHellos within the RHello rate: the byte ledger alone keeps the victim within the bound, and
        // answers as much as the bytes received allow.
        var victim2 = Socket("127.0.0.5");
        var from2 = victim2.LocalEndPoint!.Serialize();
        long sent2 = 0, received2 = 0;
        for (int i = 0; i < 30; i++)
        {
            // The smallest IHello there is (20 bytes) would get a 164-byte RHello: 8×.
            var datagram = Startup(StartupPacketWriter.IHello(i, EndpointDiscriminator.CreateForUri("x"), [(byte)i]));
            sent2 += datagram.Length;
            node.Gateway.OnDatagram(_endpoint, datagram, from2);
            received2 += Drain(victim2, 0).Bytes;
        }
        received2 += Drain(victim2).Bytes;
        TestContext.Current.TestOutputHelper?.WriteLine($"small IHellos: {sent2:N0} B in, {received2:N0} B to the victim ({(double)received2 / sent2:0.00}×)");
        Assert.True(received2 <= Amplification * sent2, $"{sent2} B in, {received2} B to the forged source");
        Assert.True(received2 > 0);

        // Clients elsewhere get their RHello for their first IHello (a 16-byte tag as Flash sends, RFC 7425 §5.3.1), however
        // short their EPD: a Flash URI, or librtmfp's bare application name.
        string[] epds = ["rtmfp://127.0.0.1:1935/live", "rtmfp://1.2.3.4/live", "rtmfp://h/a", "live"];
        for (int i = 0; i < epds.Length; i++)
        {
            var client = Socket($"127.0.1.{i + 1}");
            var first = Startup(StartupPacketWriter.IHello(0, EndpointDiscriminator.CreateForUri(epds[i]), new byte[16]));
            node.Gateway.OnDatagram(_endpoint, first, client.LocalEndPoint!.Serialize());
            var answers = Drain(client).Datagrams;
            TestContext.Current.TestOutputHelper?.WriteLine($"EPD {epds[i]}: IHello {first.Length} B, RHello {answers.Sum(a => a.Length)} B");
            Assert.Single(answers);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task IHellos_forged_in_the_name_of_a_client_with_a_session_get_the_RHello_rate_of_one_address()
    {
        // A verified address (it echoed a cookie) is not held to the byte bound: the per-address RHello budget is what
        // keeps a client of the node from being flooded with RHellos in its name.
        using var profile = FlashCryptoProfile.CreateServer();
        using var clientProfile = FlashCryptoProfile.CreateEphemeral(groups: [DiffieHellmanGroup.Group2]);
        using var node = new FrontNode(Sys, _endpoint, Options(), profile);
        var client = Socket("127.0.0.9");
        client.ReceiveTimeout = 5000;
        var from = client.LocalEndPoint!.Serialize();
        node.Gateway.OnDatagram(_endpoint, Startup(IIKeying(node, _endpoint, client, clientProfile, 0x0506_0708)), from);
        await node.SettleAsync();
        Assert.Equal(1, node.Opens);
        Drain(client);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int rhellos = 0;
        for (int i = 0; i < 300; i++)
        {
            node.Gateway.OnDatagram(_endpoint, Startup(StartupPacketWriter.IHello(i, EndpointDiscriminator.CreateForUri("x"), [(byte)i])), from);
            rhellos += Drain(client, 0).Datagrams.Count;
        }
        clock.Stop();
        rhellos += Drain(client).Datagrams.Count;
        double rate = GatewaySourceLimits.Default.HellosPerAddress;
        TestContext.Current.TestOutputHelper?.WriteLine($"IHellos in a verified client's name: 300 sent, {rhellos} RHellos in {clock.Elapsed.TotalMilliseconds:0} ms");
        Assert.True(rhellos <= 2 * rate + rate * clock.Elapsed.TotalSeconds + 1, $"{rhellos} RHellos to one address in {clock.Elapsed}");
    }

    /// <summary>The cookie, certificate and SKIC of a sealed IIKeying datagram.</summary>
    private static (byte[] Cookie, byte[] Certificate, byte[] Skic) IIKeyingRaw(byte[] datagram)
    {
        using var key = SessionCryptoContext.CreateDefault();
        var plain = new byte[2048];
        Assert.True(key.TryDecrypt(datagram.AsSpan(4), plain, out int offset, out int length));
        Assert.True(StartupPacket.TryRead(plain.AsSpan(offset, length), out var chunks) && chunks.MoveNext());
        Assert.True(IIKeyingChunk.TryRead(chunks.Current.Payload, out var k));
        return (k.CookieEcho.ToArray(), k.InitiatorCertificate.ToArray(), k.SessionKeyInitiatorComponent.ToArray());
    }

    [Fact(Timeout = 60_000)]
    public async Task A_replayed_IIKeying_costs_one_Diffie_Hellman_and_every_copy_gets_the_same_RIKeying()
    {
        // Finding 6 (RFC 7016 §3.5.1.1.2: a retransmitted IIKeying gets the same RIKeying).
        using var profile = FlashCryptoProfile.CreateServer();
        using var clientProfile = FlashCryptoProfile.CreateEphemeral(groups: [DiffieHellmanGroup.Group2]);
        using var node = new FrontNode(Sys, _endpoint, Options(), profile);
        var client = Socket();
        client.ReceiveTimeout = 5000;
        var iikeying = Startup(IIKeying(node, _endpoint, client, clientProfile, 0x0102_0304));
        client.ReceiveTimeout = 300;
        var from = client.LocalEndPoint!.Serialize();
        node.Gateway.OnDatagram(_endpoint, iikeying, from);
        await node.SettleAsync();
        for (int i = 0; i < 300; i++)
        {
            node.Gateway.OnDatagram(_endpoint, iikeying, from);
        }
        // The same cookie under other initiator session IDs: no new keying either.
        var raw = IIKeyingRaw(iikeying);
        for (uint isid = 1; isid <= 20; isid++)
        {
            node.Gateway.OnDatagram(_endpoint, Startup(StartupPacketWriter.IIKeying(0, isid, raw.Cookie, raw.Certificate, raw.Skic, default)), from);
        }
        await node.SettleAsync();
        var (_, answers) = Drain(client);
        TestContext.Current.TestOutputHelper?.WriteLine($"IIKeying replay: 301 copies and 20 under other session IDs, {node.Opens} Diffie-Hellman operations, {answers.Count} RIKeyings");
        Assert.Equal(1, node.Opens);
        Assert.NotEmpty(answers);
        Assert.All(answers, a => Assert.Equal(answers[0], a));
        Assert.Equal(0, node.Front.WorkerFailures);
    }

    [Fact(Timeout = 60_000)]
    public async Task One_source_cannot_open_sessions_without_bound_and_another_source_still_can()
    {
        // Finding 5: one port opened about 1,300 sessions/s with valid cookies and no Diffie-Hellman of its own.
        using var profile = FlashCryptoProfile.CreateServer();
        using var clientProfile = FlashCryptoProfile.CreateEphemeral(groups: [DiffieHellmanGroup.Group2]);
        using var node = new FrontNode(Sys, _endpoint, Options(), profile);
        var attacker = Socket();
        attacker.ReceiveTimeout = 5000;
        var template = IIKeying(node, _endpoint, attacker, clientProfile, 1);
        attacker.ReceiveTimeout = 300;
        var from = attacker.LocalEndPoint!.Serialize();
        const int Attempts = 400;
        // Each IIKeying with its own valid cookie (its own IHello tag) and session ID: a new session each time.
        ForgeIIKeyings(node, from, template, 0, Attempts);
        await node.SettleAsync();
        long opened = node.Opens;
        TestContext.Current.TestOutputHelper?.WriteLine($"sessions per source: {Attempts} IIKeyings, {opened} sessions opened, {node.Cache.Count} cached");
        Assert.True(opened <= 40, $"{opened} sessions opened for one source");

        var other = Socket("127.0.0.3");
        other.ReceiveTimeout = 5000;
        node.Gateway.OnDatagram(_endpoint, Startup(IIKeying(node, _endpoint, other, clientProfile, 7)), other.LocalEndPoint!.Serialize());
        await node.SettleAsync();
        Assert.Equal(opened + 1, node.Opens);
    }

    private void ForgeIIKeyings(FrontNode node, SocketAddress from, byte[] template, int first, int count) =>
        StartupTraffic.ForgeIIKeyings(node, _endpoint, Secret, from, template, first, count);

    [Fact(Timeout = 60_000)]
    public async Task Open_sessions_are_capped_per_address_and_prefix_and_a_closed_session_makes_room()
    {
        using var profile = FlashCryptoProfile.CreateServer();
        using var clientProfile = FlashCryptoProfile.CreateEphemeral(groups: [DiffieHellmanGroup.Group2]);
        var options = Options() with
        {
            SourceLimits = new GatewaySourceLimits(HandshakesPerAddress: 1000, HandshakesPerPrefix: 1000, SessionsPerAddress: 5, SessionsPerPrefix: 8),
        };
        using var node = new FrontNode(Sys, _endpoint, options, profile);
        var attacker = Socket("127.0.0.6");
        attacker.ReceiveTimeout = 5000;
        var template = IIKeying(node, _endpoint, attacker, clientProfile, 1);
        var from = attacker.LocalEndPoint!.Serialize();
        ForgeIIKeyings(node, from, template, 0, 20);
        await node.SettleAsync();
        Assert.Equal(5, node.Opens);
        Assert.Equal(5, node.Front.Sessions.CountFor(from));

        // A neighbour in the same /24 gets what the prefix has left.
        var neighbour = IPEndPoint.Parse("127.0.0.7:4000").Serialize();
        ForgeIIKeyings(node, neighbour, template, 100, 20);
        await node.SettleAsync();
        Assert.Equal(8, node.Opens);

        // A session closes (RFC 7016 §3.5.5): its source may open another.
        var closed = node.OpenSessions.First(o => o.FarAddress.Equals(from));
        node.Actor.Tell(new SessionClosed(closed.SessionId));
        await node.SettleAsync();
        Assert.Equal(4, node.Front.Sessions.CountFor(from));
        ForgeIIKeyings(node, from, template, 200, 20);
        await node.SettleAsync();
        Assert.Equal(9, node.Opens);
        Assert.Equal(5, node.Front.Sessions.CountFor(from));
    }

    [Fact(Timeout = 60_000)]
    public async Task Lookups_are_budgeted_per_source_and_forged_lookups_reflect_within_the_bound()
    {
        // Finding 13: one budget of 500 lookups/s for everyone, and a Redirect (3.5×) to whatever source a lookup names.
        using var profile = FlashCryptoProfile.CreateServer();
        using var node = new FrontNode(Sys, _endpoint, Options(), profile, lookup =>
        {
            // The target's session lists its addresses; a peer with many makes a Redirect several times the lookup.
            var addresses = Enumerable.Range(1, 60).Select(i => Rtmfp.Shared.Wire.Address.FromIPEndPoint(new IPEndPoint(IPAddress.Parse($"10.0.0.{i}"), 1000 + i), AddressOrigin.Unknown)).ToArray();
            return StartupPacketWriter.Redirect(0, lookup.Tag, addresses);
        });
        var random = new Random(13);

        // Lookups in a forged source's name: the Redirects it gets stay within the bound (each would be 6.6×).
        var victim = Socket("127.0.0.4");
        var forged = victim.LocalEndPoint!.Serialize();
        long sent = 0, received = 0;
        for (int i = 0; i < 30; i++)
        {
            var datagram = Startup(Lookup(random));
            sent += datagram.Length;
            node.Gateway.OnDatagram(_endpoint, datagram, forged);
            await node.SettleAsync();
            received += Drain(victim, 0).Bytes;
        }
        received += Drain(victim).Bytes;
        double ratio = (double)received / sent;
        TestContext.Current.TestOutputHelper?.WriteLine($"redirect reflection: {sent:N0} B in, {received:N0} B to the victim ({ratio:0.00}×)");

        // A datagram packed with lookups is one lookup.
        var packer = IPEndPoint.Parse("192.0.2.1:4000").Serialize();
        for (int i = 0; i < 5; i++)
        {
            node.Gateway.OnDatagram(_endpoint, Startup(Packed(Lookup(random))), packer);
        }
        await node.SettleAsync();
        int fromPacker = node.Lookups.Count(l => l.Initiator.Equals(packer));

        // A flood of random-peer lookups from one source (more than the gateway's whole budget holds), then a peer
        // elsewhere looks up ten peers.
        var flooder = IPEndPoint.Parse("198.51.100.7:4000").Serialize();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 6000; i++)
        {
            node.Gateway.OnDatagram(_endpoint, Startup(Lookup(random)), flooder);
        }
        var peer = IPEndPoint.Parse("203.0.113.9:5000").Serialize();
        for (int i = 0; i < 10; i++)
        {
            node.Gateway.OnDatagram(_endpoint, Startup(Lookup(random)), peer);
        }
        clock.Stop();
        await node.SettleAsync();
        int fromPeer = node.Lookups.Count(l => l.Initiator.Equals(peer));
        int fromFlooder = node.Lookups.Count(l => l.Initiator.Equals(flooder));
        TestContext.Current.TestOutputHelper?.WriteLine($"lookups: flooder 6000 sent, {fromFlooder} forwarded; peer 10 sent, {fromPeer} forwarded; 5 packed datagrams, {fromPacker} forwarded");

        Assert.Equal(10, fromPeer);
        // Its bucket: two seconds' worth, refilled while the flood lasted.
        double rate = GatewaySourceLimits.Default.LookupsPerAddress;
        Assert.True(fromFlooder <= 2 * rate + rate * clock.Elapsed.TotalSeconds + 1, $"{fromFlooder} lookups forwarded for one source in {clock.Elapsed}");
        Assert.Equal(5, fromPacker);
        Assert.True(ratio <= Amplification, $"{sent} B in, {received} B of Redirects to the forged source ({ratio:0.00}×)");
    }
}
