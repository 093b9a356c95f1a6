using Rtmfp.Client;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Integration.Tests;

/// <summary>
/// Two nodes in one cluster, each with its own gateway, configured with one cookie secret as a cluster's gateways must
/// be (README, <c>Gateway:CookieSecret</c>; docs/decisions.md, "Handshake front"): B seeded from A.
/// </summary>
public sealed class SharedSecretGateways : IAsyncLifetime
{
    /// <summary>32 bytes of hex, the same on both gateways.</summary>
    public const string CookieSecret = "8f3c2a71d9e04b65a1c7f0e2d4b69835c0ffee11deadbeef0123456789abcdef";

    private RunningNode? _a;
    private RunningNode? _b;

    public RunningNode A => _a ?? throw new InvalidOperationException("not started");
    public RunningNode B => _b ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync()
    {
        _a = await RunningNode.StartAsync(("Rtmfp:Cluster:Port", "0"), ("Rtmfp:Gateway:CookieSecret", CookieSecret));
        string seed = Akka.Cluster.Cluster.Get(_a.System).SelfAddress.ToString();
        _b = await RunningNode.StartAsync(("Rtmfp:Cluster:Port", "0"), ("Rtmfp:Cluster:SeedNodes", seed), ("Rtmfp:Gateway:CookieSecret", CookieSecret));
        await TwoNodes.WaitForAsync(() => Task.FromResult(TwoNodes.UpMembers(_a) == 2 && TwoNodes.UpMembers(_b) == 2), "both members Up");
        foreach (var node in new[] { _a, _b })
        {
            await TwoNodes.WaitForRegionsAsync(node, "session", 2);
        }
    }

    public ValueTask DisposeAsync() => RunningNode.DisposeAllAsync(_b, _a);
}

/// <summary>
/// What docs/decisions.md claims for gateways that share a cookie secret, over real UDP on 127.0.0.1: a retransmitted
/// IIKeying that lands on the other gateway is answered with the same RIKeying (one session, one set of keys); a session
/// whose client moves to the other gateway carries on; a packet replayed through the other gateway is refused by the
/// session's anti-replay window, which no gateway can bypass.
/// </summary>
public sealed class SharedCookieSecretTests(SharedSecretGateways nodes) : IClassFixture<SharedSecretGateways>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    /// <summary>Mode 1 (initiator), timestamp, one Ping chunk (RFC 7016 §2.3.9) whose two-byte message ends with <paramref name="mark"/>.</summary>
    private static byte[] Ping(byte mark) => [0x09, 0x00, 0x10, (byte)ChunkType.Ping, 0x00, 0x02, 0xAB, mark];

    [Fact(Timeout = 60_000)]
    public async Task An_IIKeying_retransmitted_to_the_other_gateway_gets_the_same_RIKeying_and_opens_no_second_session()
    {
        using var a = new MetricCollector(nodes.A.Metrics);
        using var b = new MetricCollector(nodes.B.Metrics);
        using var profile = FlashCryptoProfile.CreateEphemeral(KeyingPolicy.Strict);
        using var raw = await RawInitiator.ConnectAsync(nodes.A.Endpoint, nodes.A.Uri.ToString(), Patience, profile);
        Assert.NotNull(raw.Result);
        Assert.NotNull(raw.RIKeyingPayload);

        // The same IIKeying datagram, byte for byte, from the same address, to B: B checks A's cookie with the shared
        // secret, derives the same responder session ID, and the entity answers with the RIKeying it already sent.
        var again = await raw.RepeatIIKeyingAsync(nodes.B.Endpoint, Patience);
        Assert.True(again is not null, "gateway B did not answer the IIKeying that gateway A's cookie was made for");
        Assert.Equal(raw.RIKeyingPayload, again); // responder session ID, SKRC (our side of the keys) and signature
        Assert.Equal(1, a["rtmfp.handshake.completed"] + b["rtmfp.handshake.completed"]);

        // B learned the session's keys from that answer: a ping through B is answered at once, and so is one through A.
        await raw.SendAsync(raw.Seal(Ping(1), sequenceNumber: 1), nodes.B.Endpoint);
        Assert.Equal(new byte[] { 0xAB, 1 }, await raw.ReceivePingReplyAsync(Patience));
        await raw.SendAsync(raw.Seal(Ping(2), sequenceNumber: 2), nodes.A.Endpoint);
        Assert.Equal(new byte[] { 0xAB, 2 }, await raw.ReceivePingReplyAsync(Patience));
    }

    [Fact(Timeout = 90_000)]
    public async Task A_session_whose_client_moves_to_the_other_gateway_carries_on_without_a_new_handshake()
    {
        await using var front = new GatewaySwitch(nodes.A.Endpoint);
        using var a = new MetricCollector(nodes.A.Metrics);
        using var b = new MetricCollector(nodes.B.Metrics);
        await using var connection = await RtmfpConnection.ConnectAsync($"rtmfp://{front.Endpoint}/test").WaitAsync(Patience);
        var flow = connection.OpenFlow("echo");
        await EchoAsync(flow, 0, 40);
        Assert.True(a["rtmfp.gateway.packets{receive}"] > 0, "nothing went through gateway A");
        long throughB = b["rtmfp.gateway.packets{receive}"];

        // The load balancer now sends this client to B. B has never seen the session: it fetches the keys from the
        // session's entity (dropping what came before they arrive; the client retransmits) and serves it from then on.
        front.SwitchTo(nodes.B.Endpoint);
        await EchoAsync(flow, 40, 80);

        Assert.True(nodes.B.Gateway.Gateway!.Cache.TryGet(connection.FarSessionId, out _), "gateway B does not hold the session's keys");
        // The echoes after the move went through B, both ways (A may still get the client's last acknowledgements).
        Assert.True(b["rtmfp.gateway.packets{receive}"] > throughB, "nothing went through gateway B");
        Assert.True(b["rtmfp.gateway.packets{transmit}"] > 0, "nothing went back through gateway B");
        Assert.Equal(1, a["rtmfp.handshake.completed"] + b["rtmfp.handshake.completed"]);
    }

    /// <summary>Sends messages <paramref name="from"/>..<paramref name="to"/>−1 on the echo flow; each comes back, in order.</summary>
    private static async Task EchoAsync(RtmfpFlow flow, int from, int to)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(Patience * 2);
        for (int i = from; i < to; i++)
        {
            await flow.SendAsync(TwoNodeTests.Numbered(i), timeout.Token);
        }
        for (int i = from; i < to; i++)
        {
            Assert.Equal(TwoNodeTests.Numbered(i), (await flow.Received.ReadAsync(timeout.Token)).ToArray());
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_packet_replayed_through_the_other_gateway_is_refused_by_the_sessions_anti_replay_window()
    {
        using var a = new MetricCollector(nodes.A.Metrics);
        using var b = new MetricCollector(nodes.B.Metrics);
        using var profile = FlashCryptoProfile.CreateEphemeral(KeyingPolicy.Strict);
        using var raw = await RawInitiator.ConnectAsync(nodes.A.Endpoint, nodes.A.Uri.ToString(), Patience, profile);
        Assert.NotNull(raw.Result);
        Assert.True(raw.Result!.Keying.Verification.SendSequenceNumbers);
        ulong sequence = 1;

        // The original, through A: answered.
        var original = raw.Seal(Ping(1), sequence++);
        await raw.SendAsync(original, nodes.A.Endpoint);
        Assert.Equal(new byte[] { 0xAB, 1 }, await raw.ReceivePingReplyAsync(Patience));

        // B learns the session's keys: the first packets it sees are dropped while it asks the entity, so ping through B
        // (a fresh number each time) until one is answered.
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            Assert.True(DateTime.UtcNow < deadline, "gateway B never served the session");
            await raw.SendAsync(raw.Seal(Ping(0x10), sequence++), nodes.B.Endpoint);
            if (await raw.ReceivePingReplyAsync(TimeSpan.FromMilliseconds(500)) is not null)
            {
                break;
            }
        }
        long rejected = a["rtmfp.gateway.packets.dropped"] + b["rtmfp.gateway.packets.dropped"];

        // The captured original replayed through B (which decrypts it: gateways keep no window), then a fresh ping.
        await raw.SendAsync(original, nodes.B.Endpoint);
        await raw.SendAsync(raw.Seal(Ping(0xFF), sequence++), nodes.B.Endpoint);
        var replies = new List<byte[]>();
        while (replies.LastOrDefault() is not [0xAB, 0xFF])
        {
            replies.Add(await raw.ReceivePingReplyAsync(Patience) ?? throw new TimeoutException("the fresh ping through B was not answered"));
        }
        // The session handles its packets in order: the fresh ping's reply means the replay was seen first, and refused.
        Assert.DoesNotContain(replies, r => r is [0xAB, 1]);
        Assert.Equal(rejected + 1, a["rtmfp.gateway.packets.dropped"] + b["rtmfp.gateway.packets.dropped"]);
    }
}
