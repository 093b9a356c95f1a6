using System.Net;
using BenchmarkDotNet.Attributes;
using Rtmfp.Cluster;
using Rtmfp.Engine;
using Rtmfp.Gateway;
using Rtmfp.Gateway.Transport;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Bench;

/// <summary>
/// The fan-out's per-player packet work (docs/benchmarks.md, "Where a player's microseconds go") with as many sessions
/// as players: one operation writes one 1,100-byte message of a shared payload to the next player's flow, builds its
/// packet and seals it with that player's keys, round robin. With one player everything stays in the cache; with 200 or
/// 2,000 each player's engine, flow queue and cipher context are cold again by the time the loop comes back to it, as in
/// the node's fan-out. The difference between the rows is what cold per-player state costs per packet.
/// </summary>
[MemoryDiagnoser]
public class PlayerSendBenchmarks
{
    private const int MessageLength = 1_100;

    private readonly byte[] _plain = new byte[PacketLimits.MaxDatagramLength];
    private readonly byte[] _datagram = new byte[PacketLimits.MaxDatagramLength];
    private readonly byte[] _ack = new byte[64];
    private readonly ReadOnlyMemory<byte> _message = new byte[MessageLength];
    private Player[] _players = [];
    private SessionKeyCache _cache = null!;
    private UdpEndpoint _endpoint = null!;
    private int _next;
    private long _now;

    [Params(1, 200, 2000)]
    public int Players { get; set; }

    private sealed class Player(Session engine, SendFlow flow, SessionKeyCache.Entry keys, uint farSessionId)
    {
        public Session Engine { get; } = engine;
        public SendFlow Flow { get; } = flow;
        public SessionKeyCache.Entry Keys { get; } = keys;
        public uint FarSessionId { get; } = farSessionId;
        public ulong Sent;
    }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(2);
        _cache = new SessionKeyCache();
        _endpoint = new UdpEndpoint(new IPEndPoint(IPAddress.Loopback, 0));
        _now = Environment.TickCount64;
        _players = new Player[Players];
        for (int i = 0; i < Players; i++)
        {
            var material = SessionCryptoMaterial.From(BenchSessions.Keys(random).Responder, PacketVerificationSettings.ChecksumOnly);
            uint sessionId = 0x0300_0000u + (uint)i;
            var keys = _cache.Set(sessionId, 0x0400_0000u + (uint)i, material, _endpoint);
            var (engine, flow) = BenchSessions.Open(_now);
            _players[i] = new Player(engine, flow, keys, 0x0400_0000u + (uint)i);
        }
        for (int i = 0; i < Players * 2; i++)
        {
            if (SendToNextPlayer() < PacketLimits.MaxSessionPacketLength - 150)
            {
                throw new InvalidOperationException("benchmark packets do not go through");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _cache.Dispose();
        _endpoint.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Description = "one 1,100 B message to the next player: write, build, seal")]
    public int SendToNextPlayer()
    {
        var p = _players[_next];
        _next = _next + 1 == _players.Length ? 0 : _next + 1;
        p.Flow.Write(_message);
        int built = BenchSessions.BuildPacket(p.Engine, p.Flow, p.Sent, _plain, _ack, _now);
        p.Sent++;
        return RtmfpGateway.Seal(p.Keys, p.FarSessionId, _plain.AsSpan(0, built), 0, _datagram);
    }
}
