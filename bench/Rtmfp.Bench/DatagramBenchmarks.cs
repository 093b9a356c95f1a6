using System.Buffers;
using System.Net;
using Akka.Actor;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Rtmfp.Cluster;
using Rtmfp.Engine;
using Rtmfp.Gateway;
using Rtmfp.Gateway.Transport;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Bench;

/// <summary>Verification modes benchmarked: the default key's checksum, and rtmfp-cpp's default HMAC-SHA256/128 + session sequence numbers.</summary>
public enum VerificationMode
{
    Checksum,
    HmacSseq,
}

/// <summary>
/// The node's datagram path for one 1,200-byte plain data packet, as it runs (docs/benchmarks.md).
/// Receive = <see cref="RtmfpGateway.OnDatagram"/> up to the hand-off: unscramble the session ID, look up the cached
/// keys, rent the plain buffer, verify (checksum or HMAC) and decrypt, read the session sequence number, keep the
/// source address, create the <see cref="InboundPacket"/> and tell it to the session's actor (here a stand-in that
/// returns the buffer to the pool, as the session does after its engine ran).
/// Send = what a session's pump does per packet: the engine's <see cref="Session.TryBuildPacket"/> (a 1,100-byte
/// message queued on a flow) and the gateway's seal (cache lookup, AES-CBC, checksum or HMAC, sequence number,
/// scrambled session ID), without the UDP send; the far end's acknowledgements are fed to the engine when its window
/// is full, as a client's would arrive.
/// </summary>
[MemoryDiagnoser]
public class DatagramBenchmarks
{
    public const int PlainLength = PacketLimits.MaxSessionPacketLength;
    private const uint SessionId = 0x0300_0000;
    private const uint FarSessionId = 0x0400_0000;
    private const int MessageLength = 1_100;
    private const int Ring = 256;

    private readonly byte[] _plain = new byte[PacketLimits.MaxDatagramLength];
    private readonly byte[] _datagram = new byte[PacketLimits.MaxDatagramLength];
    private readonly byte[] _message = new byte[MessageLength];
    private readonly byte[] _ack = new byte[64];
    private byte[][] _received = [];
    private int _next;
    private RtmfpMetrics _metrics = null!;
    private SessionKeyCache _cache = null!;
    private UdpEndpoint _endpoint = null!;
    private RtmfpGateway _gateway = null!;
    private HandOff _session = null!;
    private Session _engine = null!;
    private SendFlow _flow = null!;
    private long _now;
    private ulong _sequence;
    private ulong _sent;

    [Params(VerificationMode.Checksum, VerificationMode.HmacSseq)]
    public VerificationMode Mode { get; set; }

    /// <summary>The session's actor as the gateway sees it: takes the packet and gives the pooled buffer back.</summary>
    private sealed class HandOff : MinimalActorRef
    {
        public long Packets;

        public override ActorPath Path { get; } = new RootActorPath(new Akka.Actor.Address("akka", "bench")) / "session";

        public override IActorRefProvider Provider => throw new NotSupportedException();

        protected override void TellInternal(object message, IActorRef sender)
        {
            if (message is InboundPacket packet)
            {
                Packets++;
                ArrayPool<byte>.Shared.Return(packet.Buffer);
            }
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        random.NextBytes(_message);
        var (responderKeys, initiatorKeys) = BenchSessions.Keys(random);
        var settings = Mode == VerificationMode.HmacSseq ? new PacketVerificationSettings(16, 16, true, true) : PacketVerificationSettings.ChecksumOnly;

        _metrics = new RtmfpMetrics();
        _cache = new SessionKeyCache();
        _endpoint = new UdpEndpoint(new IPEndPoint(IPAddress.Loopback, 0));
        _session = new HandOff();
        _gateway = new RtmfpGateway(_session, _cache, _metrics, NullLogger.Instance);
        var node = SessionCryptoMaterial.From(responderKeys, settings);
        _cache.Set(SessionId, FarSessionId, node, _endpoint).Session = _session;

        // Distinct datagrams (distinct sequence numbers) for the receive benchmark to cycle through.
        using var client = new SessionCryptoContext(initiatorKeys, settings);
        var plain = DataPacket(random);
        _received = new byte[Ring][];
        for (int i = 0; i < Ring; i++)
        {
            int n = client.Encrypt(plain, _datagram.AsSpan(PacketLimits.SessionIdLength));
            Multiplex.ScrambleSessionId(_datagram.AsSpan(0, PacketLimits.SessionIdLength + n), SessionId);
            _received[i] = _datagram[..(PacketLimits.SessionIdLength + n)];
        }

        _now = Environment.TickCount64;
        (_engine, _flow) = BenchSessions.Open(_now);
        if (!ReceivePath() || SendPath() < PlainLength - 100)
        {
            throw new InvalidOperationException("benchmark packets do not go through");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _cache.Dispose();
        _endpoint.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _metrics.Dispose();
    }

    /// <summary>A 1,200-byte plain packet: flags, timestamp, echo and one User Data chunk (RFC 7016 §2.2.4, §2.3.11).</summary>
    private static byte[] DataPacket(Random random)
    {
        var packet = new byte[PlainLength];
        var writer = new WireWriter(packet);
        new PacketHeader(PacketMode.InitiatorMark, timestamp: 0x1234, timestampEcho: 0x0042).Write(ref writer);
        var data = new byte[PlainLength - writer.Position - UserDataChunk.GetOverhead(3, 1000, 1, 0)];
        random.NextBytes(data);
        UserDataChunk.Write(ref writer, new UserDataChunk(UserDataFlags.None, 3, 1000, 1, default, data));
        return packet;
    }

    [Benchmark(Description = "receive 1200 B (gateway: unscramble, keys, verify, decrypt, hand-off)")]
    public bool ReceivePath()
    {
        long before = _session.Packets;
        var datagram = _received[_next];
        _next = (_next + 1) % Ring;
        _gateway.OnDatagram(_endpoint, datagram, BenchSessions.Client);
        return _session.Packets == before + 1;
    }

    [Benchmark(Description = "send 1200 B (engine builds, gateway seals)")]
    public int SendPath()
    {
        _flow.Write(_message);
        int built = BenchSessions.BuildPacket(_engine, _flow, _sent, _plain, _ack, _now);
        _sent++; // one 1,100-byte message per packet: its sequence number
        if (!_cache.TryGet(SessionId, out var entry))
        {
            throw new InvalidOperationException("keys gone");
        }
        ulong sequence = Mode == VerificationMode.HmacSseq ? _sequence++ : 0;
        return RtmfpGateway.Seal(entry, FarSessionId, _plain.AsSpan(0, built), sequence, _datagram);
    }
}
