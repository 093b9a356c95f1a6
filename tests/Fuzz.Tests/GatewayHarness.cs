using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using Akka.Actor;
using Microsoft.Extensions.Logging.Abstractions;
using Rtmfp.Cluster;
using Rtmfp.Gateway;
using Rtmfp.Gateway.Handshake;
using Rtmfp.Gateway.Transport;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Fuzz.Tests;

/// <summary>
/// One gateway as <c>GatewayService</c> builds it: <see cref="RtmfpGateway"/>, the real <see cref="HandshakeFront"/>
/// (cookie check, bounded worker pool with Diffie-Hellman) and the real <see cref="GatewayActor"/>, behind one UDP
/// endpoint that is bound but not started (the harness calls <see cref="RtmfpGateway.OnDatagram"/> itself). The
/// session shard region and the peer directory are <see cref="SyncActorRef"/>s that answer as session entities would:
/// which answer, is decided from the case seed and the session ID (not from arrival order, which a worker thread
/// makes racy), so a case replays.
/// </summary>
internal sealed class GatewayHarness : IDisposable
{
    /// <summary>Key lookups per second the gateway allows itself (its default).</summary>
    public const double FetchesPerSecond = 500;

    /// <summary>Rendezvous lookups per second leaving the front in all (each source also has its own budget); its bucket holds two seconds' worth.</summary>
    public const double LookupsPerSecond = 500;

    private readonly int _seed;
    private readonly MetricCollector _collector;
    private readonly ConcurrentDictionary<uint, SessionCryptoMaterial> _keysGiven = new();
    private long _fetches, _opens, _collisions, _keyReplies, _inbound, _lookups, _unexpected;

    public GatewayHarness(int seed, GatewayOptions options, FlashCryptoProfile serverProfile, ActorSystem system, UdpEndpoint endpoint)
    {
        _seed = seed;
        Metrics = new RtmfpMetrics();
        _collector = new MetricCollector(Metrics);
        Cache = new SessionKeyCache(maxNegativeEntries: 4096);
        Region = new SyncActorRef("region", OnRegionMessage);
        Directory = new SyncActorRef("directory", (message, _) =>
        {
            if (message is LookupPeer)
            {
                Interlocked.Increment(ref _lookups);
            }
        });
        Gateway = new RtmfpGateway(Region, Cache, Metrics, NullLogger.Instance, FetchesPerSecond);
        var context = new GatewayContext(options, Gateway, [endpoint], Region, Metrics, NullLogger.Instance);
        Front = new HandshakeFront(context, serverProfile, Directory, LookupsPerSecond);
        var gateway = Gateway;
        var front = Front;
        var metrics = Metrics;
        Actor = system.ActorOf(Props.Create(() => new GatewayActor(gateway, new[] { endpoint }, front, metrics)));
        context.GatewayActor = Actor;
        Gateway.Attach(Front, Actor, [endpoint]);
        Endpoint = endpoint;
        Started = Environment.TickCount64;
    }

    public RtmfpMetrics Metrics { get; }
    public SessionKeyCache Cache { get; }
    public RtmfpGateway Gateway { get; }
    public HandshakeFront Front { get; }
    public IActorRef Actor { get; }
    public UdpEndpoint Endpoint { get; }
    public SyncActorRef Region { get; }
    public SyncActorRef Directory { get; }
    public long Started { get; }

    /// <summary>Key lookups that reached the region (each may start an entity somewhere).</summary>
    public long Fetches => Interlocked.Read(ref _fetches);
    public long Opens => Interlocked.Read(ref _opens);
    public long Collisions => Interlocked.Read(ref _collisions);
    public long KeyReplies => Interlocked.Read(ref _keyReplies);
    public long InboundPackets => Interlocked.Read(ref _inbound);
    public long Lookups => Interlocked.Read(ref _lookups);
    public long Unexpected => Interlocked.Read(ref _unexpected);

    public long Counter(string name) => _collector[name];

    /// <summary>Session IDs the harness gave keys for, with those keys: datagrams under them reach the session hand-off.</summary>
    public IReadOnlyDictionary<uint, SessionCryptoMaterial> KeysGiven => _keysGiven;

    /// <summary>0–9 from the case seed and a session ID: the stand-in entity's answer, independent of timing.</summary>
    private int Decide(uint sessionId, int salt) => (int)((uint)HashCode.Combine(_seed, sessionId, salt) % 10);

    private void OnRegionMessage(object message, IActorRef sender)
    {
        switch (message)
        {
            case InboundPacket packet:
                Interlocked.Increment(ref _inbound);
                ArrayPool<byte>.Shared.Return(packet.Buffer);
                break;
            case FetchSessionKeys fetch:
                Interlocked.Increment(ref _fetches);
                AnswerFetch(fetch.SessionId, sender);
                break;
            case OpenSession open:
                Interlocked.Increment(ref _opens);
                if (Decide(open.SessionId, 1) < 2)
                {
                    // Another initiator holds the derived ID: the front probes the next one (RFC 7016 §3.5.1.1.2).
                    Interlocked.Increment(ref _collisions);
                    sender.Tell(new SessionIdCollision(open.SessionId, open.Cookie), Region);
                }
                else
                {
                    sender.Tell(new SessionOpened(open.SessionId, open.FarSessionId, open.Crypto, open.FarAddress, open.RIKeyingPacket), Region);
                }
                break;
            default:
                Interlocked.Increment(ref _unexpected);
                break;
        }
    }

    // Mostly "no such session" (the negative cache), sometimes keys (the gateway then decrypts for it), sometimes silence.
    private void AnswerFetch(uint sessionId, IActorRef sender)
    {
        int decision = Decide(sessionId, 0);
        if (decision < 7)
        {
            sender.Tell(new UnknownSession(sessionId), Region);
        }
        else if (decision == 7)
        {
            var keys = _keysGiven.GetOrAdd(sessionId, id => SessionMaterial.Node((int)id, PacketVerificationSettings.ChecksumOnly));
            Interlocked.Increment(ref _keyReplies);
            sender.Tell(new SessionKeysReply(sessionId, sessionId ^ 0x5A5A5A5A, keys, Endpoint.LocalEndPoint.Serialize()), Region);
        }
    }

    /// <summary>Waits until the workers are idle and the gateway actor has handled everything told to it so far.</summary>
    public async Task SettleAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        do
        {
            while (Front.PendingJobs > 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(5);
            }
            // Messages are handled in order: the answer to Identify comes after everything told before it.
            await Actor.Ask<ActorIdentity>(new Identify(null), timeout);
        }
        while (Front.PendingJobs > 0 && DateTime.UtcNow < deadline);
    }

    public void Dispose()
    {
        Actor.Tell(PoisonPill.Instance);
        Front.Dispose();
        Cache.Dispose();
        _collector.Dispose();
        Metrics.Dispose();
    }
}

/// <summary>Session keys for the harness's sessions, derived from a seed as a Diffie-Hellman exchange would (RFC 7425 §4.6.4).</summary>
internal static class SessionMaterial
{
    /// <summary>The node's side (responder) of the session of <paramref name="seed"/>, as the gateway caches it.</summary>
    public static SessionCryptoMaterial Node(int seed, PacketVerificationSettings client)
    {
        var (secret, initiatorNonce, responderNonce) = Exchange(seed);
        var node = new PacketVerificationSettings(client.ReceiveHmacLength, client.SendHmacLength, client.ReceiveSequenceNumbers, client.SendSequenceNumbers);
        return SessionCryptoMaterial.From(SessionKeys.Derive(secret, responderNonce, initiatorNonce), node);
    }

    /// <summary>The client's side (initiator) of the session of <paramref name="seed"/>.</summary>
    public static SessionCryptoContext Client(int seed, PacketVerificationSettings client)
    {
        var (secret, initiatorNonce, responderNonce) = Exchange(seed);
        return new SessionCryptoContext(SessionKeys.Derive(secret, initiatorNonce, responderNonce), client);
    }

    private static (byte[] Secret, byte[] InitiatorNonce, byte[] ResponderNonce) Exchange(int seed)
    {
        var random = new Random(seed);
        var secret = new byte[128];
        var initiatorNonce = new byte[48];
        var responderNonce = new byte[64];
        random.NextBytes(secret);
        random.NextBytes(initiatorNonce);
        random.NextBytes(responderNonce);
        return (secret, initiatorNonce, responderNonce);
    }

    /// <summary>A datagram as a peer sends it (RFC 7016 §2.2.2): the scrambled session ID, then the encrypted packet.</summary>
    public static int Seal(SessionCryptoContext context, ReadOnlySpan<byte> plainPacket, uint sessionId, Span<byte> datagram)
    {
        int length = PacketLimits.SessionIdLength + context.Encrypt(plainPacket, datagram[PacketLimits.SessionIdLength..]);
        Multiplex.ScrambleSessionId(datagram[..length], sessionId);
        return length;
    }
}
