using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.TestKit.Xunit;
using Microsoft.Extensions.Logging.Abstractions;
using Rtmfp.Cluster;
using Rtmfp.Gateway.Transport;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Gateway.Tests;

/// <summary>
/// Issue 14, "every defence has a test that fails without it": datagrams for session IDs no entity knows, through the
/// real datagram path (RtmfpGateway.OnDatagram) and gateway actor, counting FetchSessionKeys at a stand-in region.
/// Three defences bound them: one lookup in flight per ID per retry interval (SessionKeyCache.BeginFetch), the memory of
/// IDs the entity said it does not know (IsKnownUnknown, 10 s), and the key-lookup budget across IDs (a token bucket).
/// The first two are tested with a budget too large to bound anything, so that only they can hold the count down.
/// </summary>
public sealed class UnknownSessionFloodTests : TestKit
{
    private const int Ids = 64;

    private readonly UdpEndpoint _endpoint = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly SocketAddress _from = new IPEndPoint(IPAddress.Loopback, 40_000).Serialize();

    protected override void AfterAll()
    {
        _endpoint.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
        base.AfterAll();
    }

    private sealed class NoStartup : IStartupHandler
    {
        public void OnStartupPacket(UdpEndpoint endpoint, ReadOnlySpan<byte> encryptedPacket, SocketAddress from)
        {
        }

        public void OnSessionOpened(SessionOpened opened, UdpEndpoint? endpoint)
        {
        }

        public void OnCollision(SessionIdCollision collision)
        {
        }
    }

    /// <summary>The session region as the gateway sees it: counts the key lookups per ID; answers none (entities still starting).</summary>
    private sealed class CountingRegion
    {
        public readonly ConcurrentDictionary<uint, int> Fetches = new();

        public Support.SyncRef Ref { get; }

        public CountingRegion() => Ref = new Support.SyncRef("region", (message, _) =>
        {
            if (message is FetchSessionKeys fetch)
            {
                Fetches.AddOrUpdate(fetch.SessionId, 1, (_, n) => n + 1);
            }
        });

        public int Total => Fetches.Values.Sum();
    }

    private (RtmfpGateway Gateway, IActorRef Actor) Start(CountingRegion region, RtmfpMetrics metrics, SessionKeyCache cache, double keyFetchesPerSecond)
    {
        var gateway = new RtmfpGateway(region.Ref, cache, metrics, NullLogger.Instance, keyFetchesPerSecond);
        var endpoint = _endpoint;
        var actor = Sys.ActorOf(Props.Create(() => new GatewayActor(gateway, new[] { endpoint }, new NoStartup(), metrics)));
        gateway.Attach(new NoStartup(), actor, [endpoint]);
        return (gateway, actor);
    }

    /// <summary>A datagram of 64 random bytes behind the scrambled <paramref name="sessionId"/> (RFC 7016 §2.2.1).</summary>
    private static byte[] Datagram(uint sessionId, Random random)
    {
        var datagram = new byte[64];
        random.NextBytes(datagram);
        Multiplex.ScrambleSessionId(datagram, sessionId);
        return datagram;
    }

    [Fact(Timeout = 60_000)]
    public async Task Repeated_unknown_ids_are_looked_up_once_per_retry_interval_then_not_at_all_once_the_entity_said_unknown()
    {
        var random = new Random(14);
        var ids = Enumerable.Range(0, Ids).Select(i => 0x1000_0000u + (uint)i * 7919).ToArray();
        var datagrams = ids.Select(id => Datagram(id, random)).ToArray();
        var region = new CountingRegion();
        using var metrics = new RtmfpMetrics();
        using var cache = new SessionKeyCache();
        // A budget of a million lookups a second: it bounds nothing here.
        var (gateway, actor) = Start(region, metrics, cache, keyFetchesPerSecond: 1_000_000);

        // 1. No entity answers yet: 1,000 rounds of the 64 IDs ask once per ID per retry interval (1 s), not per datagram.
        var clock = Stopwatch.StartNew();
        for (int round = 0; round < 1_000; round++)
        {
            foreach (var datagram in datagrams)
            {
                gateway.OnDatagram(_endpoint, datagram, _from);
            }
        }
        long firstPhaseMs = clock.ElapsedMilliseconds;
        int perIdBound = 1 + (int)(firstPhaseMs / 1_000);
        Assert.All(ids, id => Assert.InRange(region.Fetches.GetValueOrDefault(id), 1, perIdBound));

        // 2. The entities answer that they know none of them (as SessionActor does for a session it never opened).
        foreach (var id in ids)
        {
            actor.Tell(new UnknownSession(id), ActorRefs.NoSender);
        }
        await actor.Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(10)); // the answers before it are applied
        int afterAnswers = region.Total;

        // 3. The flood goes on past the retry interval (which alone would allow another lookup per ID): the memory of
        // unknown IDs (10 s) drops every datagram without a lookup.
        int rounds = 0;
        while (clock.ElapsedMilliseconds < firstPhaseMs + 1_500)
        {
            foreach (var datagram in datagrams)
            {
                gateway.OnDatagram(_endpoint, datagram, _from);
            }
            rounds++;
            await Task.Delay(1); // pacing, about a round a millisecond: a flood, not a CPU benchmark
        }
        Assert.True(clock.ElapsedMilliseconds < RtmfpGateway.UnknownSessionTtlMs, $"the flood outlasted the unknown-ID memory ({clock.ElapsedMilliseconds} ms)");
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{(1_000 + rounds) * Ids} datagrams for {Ids} unknown IDs over {clock.ElapsedMilliseconds} ms: {region.Total} lookups ({afterAnswers} before the answers)");
        Assert.Equal(afterAnswers, region.Total);
        Assert.True(region.Total <= Ids * perIdBound, $"{region.Total} lookups for {Ids} IDs");
    }

    [Fact(Timeout = 60_000)]
    public void Distinct_random_ids_are_looked_up_within_the_key_lookup_budget()
    {
        // Every ID new, so neither the retry interval nor the unknown-ID memory holds anything back: only the budget does.
        const int Budget = 200, Flood = 20_000;
        var random = new Random(15);
        var region = new CountingRegion();
        using var metrics = new RtmfpMetrics();
        using var cache = new SessionKeyCache();
        var clock = Stopwatch.StartNew(); // before the bucket exists: it fills from its construction
        var (gateway, _) = Start(region, metrics, cache, keyFetchesPerSecond: Budget);

        var datagram = new byte[64];
        for (int i = 0; i < Flood; i++)
        {
            random.NextBytes(datagram);
            Multiplex.ScrambleSessionId(datagram, 0x2000_0000u + (uint)i);
            gateway.OnDatagram(_endpoint, datagram, _from);
        }
        double seconds = clock.Elapsed.TotalSeconds;

        // A bucket of one second's worth, refilled at the rate: at most (T + 1) × rate over T seconds.
        long bound = (long)(Budget * (seconds + 1)) + 2; // + the millisecond ticks of the bucket's clock
        TestContext.Current.TestOutputHelper?.WriteLine($"{Flood} new IDs in {seconds:F2} s: {region.Total} lookups (bound {bound})");
        Assert.InRange(region.Total, Budget, bound);
    }
}
