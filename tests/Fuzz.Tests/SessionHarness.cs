using System.Buffers;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Rtmfp.Cluster;
using Rtmfp.Engine;
using Rtmfp.Flash;
using Rtmfp.Gateway;
using Rtmfp.Gateway.Transport;
using Rtmfp.Sessions.Tests.Rtmfp;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Fuzz.Tests;

/// <summary>
/// One open session as the node runs it, minus the actor plumbing: a client's datagram goes through
/// <see cref="RtmfpGateway.OnDatagram"/> (unscramble, key lookup, decrypt, checksum or HMAC, session sequence number:
/// RFC 7425 §4.7.3) to the session's stand-in entity, which checks the anti-replay window (RFC 7425 §4.6.6) and hands
/// the plain packet to the responder engine of an <see cref="EnginePair"/> — its flow router, echo service and
/// <see cref="Sessions.Rtmfp.RtmfpFlashAdapter"/> with a NetConnection behind it — then services the adapter and
/// honours its close, as <c>SessionActor</c> does after each engine call. Everything runs on the caller's thread on
/// the pair's manual clock, so a case replays from its seed.
/// </summary>
internal sealed class SessionHarness : IDisposable
{
    public const uint NodeSessionId = 0x0A0B_0C0D;
    public const uint ClientSessionId = 0x0102_0304;

    /// <summary>The verification modes a client may negotiate (RFC 7425 §4.6.4–§4.6.6), from the checksum to HMAC with sequence numbers.</summary>
    private static readonly PacketVerificationSettings[] Modes =
    [
        PacketVerificationSettings.ChecksumOnly,
        new(16, 16, true, true),
        new(10, 0, true, false),
        new(0, 32, false, true),
    ];

    private readonly SessionKeyCache _cache = new();
    private AntiReplayWindow _window;

    public SessionHarness(int seed, RtmfpMetrics metrics, UdpEndpoint endpoint, ApplicationRegistry applications, Failures failures)
    {
        Relay = new RecordingRelay(failures);
        Pair = new EnginePair(Relay, applications);
        var mode = Modes[(uint)seed % Modes.Length];
        Verification = SessionMaterial.Node(seed, mode).Verification;
        _cache.Set(NodeSessionId, ClientSessionId, SessionMaterial.Node(seed, mode), endpoint);
        ClientCrypto = SessionMaterial.Client(seed, mode);
        Entity = new SyncActorRef("session", OnEntityMessage);
        Gateway = new RtmfpGateway(Entity, _cache, metrics, NullLogger.Instance);
        Endpoint = endpoint;
    }

    public EnginePair Pair { get; }
    public RecordingRelay Relay { get; }
    public RtmfpGateway Gateway { get; }
    public SyncActorRef Entity { get; }
    public UdpEndpoint Endpoint { get; }

    /// <summary>The client's encryption context (its sequence numbers count up with every packet it seals).</summary>
    public SessionCryptoContext ClientCrypto { get; }

    /// <summary>The node's side of the negotiated verification.</summary>
    public PacketVerificationSettings Verification { get; }

    public long Delivered { get; private set; }
    public long Replayed { get; private set; }
    public long Fetches { get; private set; }
    public long Unexpected { get; private set; }
    public int CachedSessions => _cache.Count;

    private Session Server => Pair.ServerSession;

    private void OnEntityMessage(object message, Akka.Actor.IActorRef sender)
    {
        if (message is FetchSessionKeys fetch && fetch.SessionId != NodeSessionId)
        {
            // A mutated datagram names another session: the gateway asks the region for it (its lookup budget bounds this).
            Fetches++;
            return;
        }
        if (message is not InboundPacket packet)
        {
            Unexpected++;
            return;
        }
        try
        {
            if (Verification.ReceiveSequenceNumbers)
            {
                if (!_window.IsAcceptable(packet.SequenceNumber))
                {
                    Replayed++;
                    return;
                }
                _window.Accept(packet.SequenceNumber);
            }
            Delivered++;
            Server.Receive(packet.Buffer.AsSpan(packet.Offset, packet.Length), packet.From, Pair.Now);
            AfterEngine();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(packet.Buffer);
        }
    }

    /// <summary>After every engine call: the adapter's deferred work, then the close it asked for.</summary>
    private void AfterEngine()
    {
        Pair.Adapter.Service();
        if (Pair.Adapter.CloseDueMs <= Pair.Now && Server.State == SessionState.Open)
        {
            Server.Close(Pair.Now);
        }
    }

    /// <summary>Time passes: both engines' timers (retransmission, delayed acks, keepalive, close), then the adapter.</summary>
    public void Advance(long ms)
    {
        Pair.Now += ms;
        Server.Tick(Pair.Now);
        AfterEngine();
        Pair.ClientSession.Tick(Pair.Now);
    }

    /// <summary>Seals a plain packet as the client would (its session key, its next sequence number) into <paramref name="datagram"/>.</summary>
    public int Seal(ReadOnlySpan<byte> plainPacket, Span<byte> datagram) =>
        SessionMaterial.Seal(ClientCrypto, plainPacket, NodeSessionId, datagram);

    public void Dispose()
    {
        ClientCrypto.Dispose();
        _cache.Dispose();
    }
}
