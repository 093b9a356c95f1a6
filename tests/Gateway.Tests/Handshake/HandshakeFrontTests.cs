using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.TestKit.Xunit;
using Rtmfp.Cluster;
using Rtmfp.Engine.Handshake;
using Rtmfp.Gateway.Handshake;
using Rtmfp.Gateway.Tests.Support;
using Rtmfp.Gateway.Transport;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Shared.Wire;
using static Rtmfp.Gateway.Tests.Support.StartupTraffic;

namespace Rtmfp.Gateway.Tests.Handshake;

/// <summary>
/// The handshake front between the receive loop and the session entities (RFC 7016 §3.5.1): what each startup
/// datagram gets (an RHello, a Cookie Change, a lookup, a keying job, nothing), the counter of each refusal, and what
/// happens when the entity answers late, never, or with a session ID collision.
/// </summary>
public sealed class HandshakeFrontTests : TestKit
{
    private static readonly byte[] Secret = Enumerable.Range(0, 32).Select(i => (byte)(i * 11)).ToArray();
    private const string Uri = "rtmfp://127.0.0.1/live";

    private readonly UdpEndpoint _endpoint = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly List<Socket> _sockets = [];
    private readonly FlashCryptoProfile _profile = FlashCryptoProfile.CreateServer();
    private readonly FlashCryptoProfile _client = FlashCryptoProfile.CreateEphemeral(groups: [DiffieHellmanGroup.Group2]);

    protected override void AfterAll()
    {
        foreach (var s in _sockets)
        {
            s.Dispose();
        }
        _endpoint.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
        _profile.Dispose();
        _client.Dispose();
        base.AfterAll();
    }

    private Socket Socket(string address = "127.0.0.1")
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
        s.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
        _sockets.Add(s);
        return s;
    }

    private GatewayOptions Options(GatewaySourceLimits? limits = null, int workers = 2, int queue = 64) =>
        new([_endpoint.LocalEndPoint], Secret, TimeSpan.FromMinutes(10), HandshakeWorkers: workers, HandshakeQueueLimit: queue,
            SocketBufferBytes: 1 << 20, ShutdownCloseGrace: TimeSpan.FromSeconds(1))
        { SourceLimits = limits ?? GatewaySourceLimits.Default };

    private FrontNode Node(GatewayOptions? options = null, Func<OpenSession, object?>? answer = null, bool directory = true,
        double? lookupsPerSecond = null, ListLogger? logger = null) =>
        new(Sys, _endpoint, options ?? Options(), _profile, answer: answer, directory: directory, lookupsPerSecond: lookupsPerSecond, logger: logger);

    private static SocketAddress From(Socket s) => s.LocalEndPoint!.Serialize();

    private void Forge(FrontNode node, SocketAddress from, byte[] template, int first, int count) =>
        ForgeIIKeyings(node, _endpoint, Secret, from, template, first, count);

    private static byte[] LookupIHello(int tagLength, byte seed)
    {
        var peer = Enumerable.Range(0, 32).Select(i => (byte)(seed + i)).ToArray();
        return StartupPacketWriter.IHello(0, EndpointDiscriminator.CreateCanonical(peer), new byte[tagLength]);
    }

    [Fact(Timeout = 30_000)]
    public void Startup_datagrams_that_do_not_open_are_dropped_and_counted_and_an_IHello_not_for_us_gets_nothing()
    {
        using var node = Node();
        var client = Socket();
        var random = new Random(7016);
        for (int i = 0; i < 5; i++)
        {
            // Session ID 0 (RFC 7016 §2.2.1), then bytes that do not decrypt under the default key.
            var noise = new byte[4 + 16 * (1 + i % 3)];
            random.NextBytes(noise);
            Multiplex.ScrambleSessionId(noise, 0);
            node.Gateway.OnDatagram(_endpoint, noise, From(client));
        }
        long invalid = node.Counters["rtmfp.gateway.packets.dropped{startup_invalid}"];
        Assert.Equal(5, invalid);

        // Decrypts, but no handshake chunk (an RHello is for initiators), or an IHello whose EPD selects nobody here.
        node.Gateway.OnDatagram(_endpoint, Startup(StartupPacketWriter.RHello(0, new byte[16], new byte[CookieJar.CookieLength], _profile.Certificate.Encoded)), From(client));
        node.Gateway.OnDatagram(_endpoint, Startup(StartupPacketWriter.IHello(0, EndpointDiscriminator.Create(default, "other.example"u8, default), new byte[16])), From(client));
        Assert.Empty(Drain(client).Datagrams);
        Assert.Equal(0, node.Counters["rtmfp.handshake.started"]);

        // One for us: one RHello, counted as a handshake started.
        node.Gateway.OnDatagram(_endpoint, Startup(StartupPacketWriter.IHello(0, EndpointDiscriminator.CreateForUri(Uri), new byte[16])), From(client));
        var answers = Drain(client).Datagrams;
        Assert.Single(answers);
        Assert.Equal(ChunkType.RHello, FirstChunk(answers[0]));
        Assert.Equal(1, node.Counters["rtmfp.handshake.started"]);
        Assert.Equal(invalid, node.Counters["rtmfp.gateway.packets.dropped{startup_invalid}"]);
    }

    [Fact(Timeout = 30_000)]
    public void RHellos_beyond_the_rate_of_an_address_are_refused_and_counted()
    {
        using var node = Node(Options(GatewaySourceLimits.Default with { HellosPerAddress = 1 }));
        var client = Socket();
        var ihello = Startup(StartupPacketWriter.IHello(0, EndpointDiscriminator.CreateForUri("rtmfp://127.0.0.1:1935/a/long/application/name"), new byte[16]));
        for (int i = 0; i < 6; i++)
        {
            node.Gateway.OnDatagram(_endpoint, ihello, From(client));
        }
        int rhellos = Drain(client).Datagrams.Count;
        long refused = node.Counters["rtmfp.gateway.startup.refused{hello_rate}"];
        Assert.InRange(rhellos, 1, 3);
        Assert.True(refused >= 3, $"{refused} refused");
        Assert.Equal(rhellos, node.Counters["rtmfp.handshake.started"]);
    }

    [Fact(Timeout = 30_000)]
    public async Task Lookups_go_to_the_directory_within_the_gateway_budget_and_the_tag_bound()
    {
        // lookupsPerSecond 2: a bucket of 4 for the whole gateway, each lookup from its own /24.
        using var node = Node(lookupsPerSecond: 2);
        node.Gateway.OnDatagram(_endpoint, Startup(LookupIHello(LookupPeer.MaxTagLength + 1, 1)), IPEndPoint.Parse("10.0.0.1:4000").Serialize());
        await node.SettleAsync();
        Assert.Empty(node.Lookups); // a tag longer than a lookup may carry
        Assert.Equal(0, node.Counters["rtmfp.gateway.startup.refused{lookup_rate}"]);

        for (int i = 0; i < 20; i++)
        {
            node.Gateway.OnDatagram(_endpoint, Startup(LookupIHello(LookupPeer.MaxTagLength, (byte)i)), IPEndPoint.Parse($"10.{i + 1}.0.1:4000").Serialize());
        }
        await node.SettleAsync();
        int forwarded = node.Lookups.Count;
        Assert.InRange(forwarded, 4, 5);
        Assert.Equal(20 - forwarded, node.Counters["rtmfp.gateway.startup.refused{lookup_rate}"]);
        var first = node.Lookups.First();
        Assert.Equal(LookupPeer.MaxTagLength, first.Tag.Length);
        Assert.Equal(Enumerable.Range(0, 32).Select(i => (byte)i), first.PeerId);
        Assert.Equal(IPEndPoint.Parse("10.1.0.1:4000").Serialize(), first.Initiator);

        // Without a peer directory (a gateway of a cluster with no rendezvous role) lookups are ignored.
        using var alone = Node(directory: false);
        alone.Gateway.OnDatagram(_endpoint, Startup(LookupIHello(16, 9)), IPEndPoint.Parse("10.99.0.1:4000").Serialize());
        await alone.SettleAsync();
        Assert.Empty(alone.Lookups);
        Assert.Equal(0, alone.Counters["rtmfp.gateway.startup.refused{lookup_rate}"]);
    }

    [Fact(Timeout = 60_000)]
    public async Task An_IIKeying_opens_one_session_its_retransmission_gets_the_same_RIKeying_and_other_addresses_a_cookie_change()
    {
        using var node = Node();
        var client = Socket();
        var iikeying = Startup(IIKeying(node, _endpoint, client, _client, 0x0a0b0c0d, Uri));
        node.Gateway.OnDatagram(_endpoint, iikeying, From(client));
        await node.SettleAsync();
        var first = Drain(client).Datagrams;
        Assert.Single(first); // the RIKeying, once (RFC 7016 §3.5.1.1.2)
        Assert.Equal(ChunkType.RIKeying, FirstChunk(first[0]));
        Assert.Equal(1, node.Opens);
        var open = node.OpenSessions.Single();
        Assert.Equal(EndpointDiscriminator.CreateForUri(Uri), open.EndpointDiscriminator);
        Assert.Equal(0x0a0b0c0du, open.FarSessionId);
        Assert.Equal(1, node.Counters["rtmfp.handshake.duration"]);
        Assert.Equal(1, node.Front.Sessions.CountFor(From(client)));

        // A retransmission: the same RIKeying, no second keying.
        node.Gateway.OnDatagram(_endpoint, iikeying, From(client));
        await node.SettleAsync();
        var again = Drain(client).Datagrams;
        Assert.Single(again);
        Assert.Equal(first[0], again[0]);
        Assert.Equal(1, node.Opens);

        // The same IIKeying from another address: an RHello Cookie Change to that address (RFC 7016 §3.5.1.2).
        var moved = Socket("127.0.0.2");
        node.Gateway.OnDatagram(_endpoint, iikeying, From(moved));
        var change = Drain(moved).Datagrams;
        Assert.Single(change);
        Assert.Equal(ChunkType.RHelloCookieChange, FirstChunk(change[0]));
        Assert.True(Multiplex.TryUnscrambleSessionId(change[0], out uint to));
        Assert.Equal(0x0a0b0c0du, to); // to the initiator's session ID (RFC 7016 §2.3.6)

        // A cookie that is not ours: no answer, counted as an invalid keying.
        var raw = Open(iikeying);
        Assert.True(StartupPacket.TryRead(raw, out var chunks) && chunks.MoveNext());
        Assert.True(IIKeyingChunk.TryRead(chunks.Current.Payload, out var k));
        var forged = k.CookieEcho.ToArray();
        forged[3] ^= 1;
        node.Gateway.OnDatagram(_endpoint, Startup(StartupPacketWriter.IIKeying(0, 7, forged, k.InitiatorCertificate, k.SessionKeyInitiatorComponent, default)), From(client));
        Assert.Empty(Drain(client).Datagrams);
        Assert.Equal(1, node.Counters["rtmfp.handshake.rejected{invalid_keying}"]);
        Assert.Equal(1, node.Opens);
        Assert.Equal(0, node.Front.WorkerFailures);
    }

    [Fact(Timeout = 60_000)]
    public async Task An_entity_that_never_answers_is_waited_for_then_the_handshake_is_keyed_again_under_the_next_session_ID()
    {
        using var node = Node(answer: _ => null);
        var client = Socket();
        var iikeying = Startup(IIKeying(node, _endpoint, client, _client, 0x01020304, Uri));
        var from = From(client);
        Assert.False(node.Front.Guard.TrySend(from, 100_000, Environment.TickCount64)); // not verified yet (RFC 7016 §5)
        node.Gateway.OnDatagram(_endpoint, iikeying, from);
        await node.SettleAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(1, node.Opens);
        // The cookie came back from this address: it receives what we send, beyond the amplification bound.
        Assert.True(node.Front.Guard.TrySend(from, 100_000, Environment.TickCount64));

        // The initiator retransmits: while the first keying may still open, nothing new is keyed.
        node.Gateway.OnDatagram(_endpoint, iikeying, from);
        await node.SettleAsync();
        Assert.Equal(1, node.Opens);

        // It keeps retransmitting; after the stall time the next session ID is tried (another shard, RFC 7016 §3.5.1.1.2).
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (node.Opens < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "never keyed again");
            node.Gateway.OnDatagram(_endpoint, iikeying, from);
            await node.SettleAsync();
            if (node.Opens < 2)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken); // the initiator's retransmission interval
            }
        }
        Assert.True(clock.ElapsedMilliseconds >= KeyingReplayCache.OpenStallMs - 200, $"keyed again after {clock.ElapsedMilliseconds} ms");
        var opens = node.OpenSessions.ToArray();
        var jar = new CookieJar(Secret, TimeSpan.FromMinutes(10));
        Assert.Equal(jar.SessionIdFor(opens[0].Cookie, 0), opens[0].SessionId);
        Assert.Equal(jar.SessionIdFor(opens[0].Cookie, 1), opens[1].SessionId);
        Assert.Equal(1, node.Counters["rtmfp.handshake.retried"]);
        Assert.DoesNotContain(Drain(client, 0).Datagrams, d => FirstChunk(d) == ChunkType.RIKeying);
    }

    [Fact(Timeout = 60_000)]
    public async Task Session_ID_collisions_key_again_under_the_next_ID_up_to_the_probe_limit()
    {
        var logger = new ListLogger();
        using var node = Node(answer: open => new SessionIdCollision(open.SessionId, open.Cookie), logger: logger);
        var client = Socket();
        var from = From(client);
        var iikeying = Startup(IIKeying(node, _endpoint, client, _client, 5, Uri));
        node.Gateway.OnDatagram(_endpoint, iikeying, from);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (node.Counters["rtmfp.handshake.rejected{id_collision}"] == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "never gave up");
            await node.SettleAsync();
        }
        var opens = node.OpenSessions.ToArray();
        var jar = new CookieJar(Secret, TimeSpan.FromMinutes(10));
        Assert.Equal(HandshakeFront.MaxProbes, opens.Length);
        Assert.Equal(Enumerable.Range(0, HandshakeFront.MaxProbes).Select(p => jar.SessionIdFor(opens[0].Cookie, p)), opens.Select(o => o.SessionId));
        Assert.Equal(1, logger.Count(1020));
        Assert.Equal(0, node.Front.Sessions.CountFor(from)); // its reservation is released
        Assert.Empty(Drain(client, 100).Datagrams);

        // A collision report for an ID nothing is keying, or with another cookie: ignored.
        node.Actor.Tell(new SessionIdCollision(opens[0].SessionId, opens[0].Cookie));
        node.Actor.Tell(new SessionIdCollision(12345, new byte[CookieJar.CookieLength]));
        await node.SettleAsync();
        Assert.Equal(HandshakeFront.MaxProbes, node.Opens);

        // The abandoned handshake may start again: the initiator retransmits and it is keyed afresh.
        node.Gateway.OnDatagram(_endpoint, iikeying, from);
        await node.SettleAsync();
        Assert.True(node.Opens > HandshakeFront.MaxProbes);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_collision_reported_with_another_cookie_is_not_this_handshake_and_keys_nothing_again()
    {
        using var node = Node(answer: open => new SessionIdCollision(open.SessionId, new byte[open.Cookie.Length]));
        var client = Socket();
        node.Gateway.OnDatagram(_endpoint, Startup(IIKeying(node, _endpoint, client, _client, 6, Uri)), From(client));
        await node.SettleAsync();
        await node.SettleAsync();
        Assert.Equal(1, node.Opens);
        Assert.Equal(0, node.Counters["rtmfp.handshake.rejected"]);
    }

    [Fact(Timeout = 60_000)]
    public async Task Refused_IIKeyings_are_counted_by_reason_and_release_what_they_reserved()
    {
        var logger = new ListLogger();
        var limits = GatewaySourceLimits.Default with { HandshakesPerAddress = 1000, HandshakesPerPrefix = 1000, SessionsPerAddress = 3, SessionsPerPrefix = 1000 };
        // One worker and a queue of one; the entity's first answer holds the worker until the gate opens.
        using var gate = new ManualResetEventSlim();
        int answers = 0;
        using var node = Node(Options(limits, workers: 1, queue: 1), logger: logger, answer: open =>
        {
            if (Interlocked.Increment(ref answers) == 1)
            {
                gate.Wait(TestContext.Current.CancellationToken);
            }
            return new SessionOpened(open.SessionId, open.FarSessionId, open.Crypto, open.FarAddress, open.RIKeyingPacket);
        });
        var client = Socket();
        var template = IIKeying(node, _endpoint, client, _client, 1, Uri);
        var from = From(client);
        Forge(node, from, template, 0, 1);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (node.Opens == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the first keying never finished");
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
        Forge(node, from, template, 1, 3); // one fits the queue, two overflow it
        Assert.Equal(2, node.Counters["rtmfp.handshake.rejected{overload}"]);
        Assert.Equal(2, node.Front.Sessions.CountFor(from)); // an overflowed job gives its reservation back
        Assert.Equal(1, logger.Count(1021)); // one warning per 10 s, with the count since the last
        Assert.Contains("1 IIKeyings dropped in the last 0 s", logger.Events.Single(e => e.Id == 1021).Message);
        gate.Set();
        await node.SettleAsync();
        Assert.Equal(2, node.Opens);

        // An overflowed IIKeying is keyed when the initiator retransmits it.
        Forge(node, from, template, 2, 1);
        await node.SettleAsync();
        Assert.Equal(3, node.Opens);
        Assert.Equal(3, node.Front.Sessions.CountFor(from));

        // Sessions per address: the fourth is refused whatever its cookie.
        Forge(node, from, template, 10, 10);
        await node.SettleAsync();
        Assert.Equal(3, node.Front.Sessions.CountFor(from));
        Assert.True(node.Counters["rtmfp.handshake.rejected{session_limit}"] >= 1);

        // Keying jobs per address: a burst beyond the bucket is refused before any reservation.
        var other = Socket("127.0.0.4");
        using var strict = Node(Options(GatewaySourceLimits.Default with { HandshakesPerAddress = 1 }));
        var strictTemplate = IIKeying(strict, _endpoint, other, _client, 1, Uri);
        Forge(strict, From(other), strictTemplate, 0, 8);
        await strict.SettleAsync();
        long limited = strict.Counters["rtmfp.handshake.rejected{rate_limited}"];
        Assert.True(limited >= 5, $"{limited} rate limited");
        Assert.Equal(8, strict.Opens + limited);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_keying_that_parses_but_cannot_be_agreed_is_rejected_and_may_be_retried()
    {
        using var node = Node();
        using var staticClient = FlashCryptoProfile.CreateStatic();
        var client = Socket();
        var from = From(client);
        var good = IIKeying(node, _endpoint, client, _client, 0x0c0c0c0c, Uri);
        Assert.True(StartupPacket.TryRead(good, out var chunks) && chunks.MoveNext());
        Assert.True(IIKeyingChunk.TryRead(chunks.Current.Payload, out var k));
        // A static certificate with an ephemeral key component: both parse, no Diffie-Hellman agrees (RFC 7425 §4.6.1).
        var mixed = StartupPacketWriter.IIKeying(0, 0x0c0c0c0c, k.CookieEcho, staticClient.Certificate.Encoded, k.SessionKeyInitiatorComponent, default);
        node.Gateway.OnDatagram(_endpoint, Startup(mixed), from);
        await node.SettleAsync();
        Assert.Equal(1, node.Counters["rtmfp.handshake.rejected{keying_failed}"]);
        Assert.Equal(0, node.Opens);
        Assert.Equal(0, node.Front.Sessions.CountFor(from)); // its reservation is released
        Assert.Empty(Drain(client, 100).Datagrams);

        // The same cookie with the initiator's real keying: keyed afresh, not taken for a replay.
        node.Gateway.OnDatagram(_endpoint, Startup(good), from);
        await node.SettleAsync();
        Assert.Equal(1, node.Opens);
        Assert.Equal(0, node.Front.WorkerFailures);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_failing_keying_callback_is_counted_as_a_handler_failure()
    {
        var logger = new ListLogger();
        using var node = Node(answer: _ => throw new InvalidOperationException("region bug (deliberate)"), logger: logger);
        var client = Socket();
        node.Gateway.OnDatagram(_endpoint, Startup(IIKeying(node, _endpoint, client, _client, 9, Uri)), From(client));
        await node.SettleAsync();
        Assert.Equal(1, node.Front.WorkerFailures);
        Assert.Equal(1, node.Metrics.HandlerFailureCount);
        Assert.Equal(1, logger.Count(1015));
    }
}
