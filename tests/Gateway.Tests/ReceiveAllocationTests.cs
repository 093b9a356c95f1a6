using System.Buffers;
using System.Net;
using Akka.Actor;
using Microsoft.Extensions.Logging.Abstractions;
using Rtmfp.Cluster;
using Rtmfp.Gateway.Transport;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Gateway.Tests;

/// <summary>
/// README and docs/benchmarks.md: the node's receive path as bench/Rtmfp.Bench's <c>DatagramBenchmarks</c> measures it
/// (<see cref="RtmfpGateway.OnDatagram"/> up to the hand-off: unscramble, key cache, verify, decrypt, sequence number)
/// allocates the <see cref="InboundPacket"/> that carries the packet to its session, 56 bytes, and nothing else: the
/// plain buffer is rented and the source address reused.
/// </summary>
public sealed class ReceiveAllocationTests
{
    private const uint SessionId = 0x0300_0000;
    private const int Ring = 64;
    private const int InboundPacketBytes = 56;

    /// <summary>The session's actor as the gateway sees it: takes the packet and gives the pooled buffer back, as the session does.</summary>
    private sealed class HandOff : MinimalActorRef
    {
        public long Packets;

        public override ActorPath Path { get; } = new RootActorPath(new Akka.Actor.Address("akka", "test")) / "session";

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

    [Theory(Timeout = 60_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_session_packet_costs_the_56_byte_message_that_hands_it_to_its_session(bool hmacAndSequenceNumbers)
    {
        // Under Stryker.NET (docs/testing.md) the gateway is instrumented (mutant switches, per-test coverage): its
        // allocations are then Stryker's, not the gateway's.
        Assert.SkipWhen(Environment.GetEnvironmentVariable("STRYKER_MUTANT_FILE") is not null, "measures the uninstrumented gateway");
        var random = new Random(1);
        var secret = new byte[128];
        var initiatorNonce = new byte[64];
        var responderNonce = new byte[64];
        random.NextBytes(secret);
        random.NextBytes(initiatorNonce);
        random.NextBytes(responderNonce);
        var settings = hmacAndSequenceNumbers ? new PacketVerificationSettings(16, 16, true, true) : PacketVerificationSettings.ChecksumOnly;
        using var metrics = new RtmfpMetrics();
        using var cache = new SessionKeyCache();
        await using var endpoint = new UdpEndpoint(new IPEndPoint(IPAddress.Loopback, 0));
        var session = new HandOff();
        var gateway = new RtmfpGateway(session, cache, metrics, NullLogger.Instance);
        cache.Set(SessionId, 0x0400_0000, SessionCryptoMaterial.From(SessionKeys.Derive(secret, responderNonce, initiatorNonce), settings), endpoint)
            .Session = session;

        // Distinct sealed 1,200-byte packets (distinct sequence numbers), as the benchmark cycles through.
        using var client = new SessionCryptoContext(SessionKeys.Derive(secret, initiatorNonce, responderNonce), settings);
        var plain = new byte[PacketLimits.MaxSessionPacketLength];
        var writer = new WireWriter(plain);
        new PacketHeader(PacketMode.InitiatorMark, timestamp: 0x1234, timestampEcho: 0x0042).Write(ref writer);
        var data = new byte[plain.Length - writer.Position - UserDataChunk.GetOverhead(3, 1000, 1, 0)];
        random.NextBytes(data);
        UserDataChunk.Write(ref writer, new UserDataChunk(UserDataFlags.None, 3, 1000, 1, default, data));
        var datagrams = new byte[Ring][];
        var buffer = new byte[PacketLimits.MaxDatagramLength];
        for (int i = 0; i < Ring; i++)
        {
            int n = client.Encrypt(plain, buffer.AsSpan(PacketLimits.SessionIdLength));
            Multiplex.ScrambleSessionId(buffer.AsSpan(0, PacketLimits.SessionIdLength + n), SessionId);
            datagrams[i] = buffer[..(PacketLimits.SessionIdLength + n)];
        }
        var from = IPEndPoint.Parse("127.0.0.1:40000").Serialize();

        // First calls fill the pool, the address copy and the statics; then count what each datagram allocates.
        const int Warm = 2_000, Measured = 20_000;
        for (int i = 0; i < Warm; i++)
        {
            gateway.OnDatagram(endpoint, datagrams[i % Ring], from);
        }
        // The lowest of three rounds: a full collection caused by tests running beside this one trims the shared
        // array pool, and the next rents allocate again once (not per datagram).
        const int Rounds = 3;
        double perDatagram = double.MaxValue;
        for (int round = 0; round < Rounds; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Measured; i++)
            {
                gateway.OnDatagram(endpoint, datagrams[i % Ring], from);
            }
            perDatagram = Math.Min(perDatagram, (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Measured);
        }

        Assert.Equal(Warm + Rounds * Measured, session.Packets); // every datagram reached the session
        Assert.InRange(perDatagram, 0, InboundPacketBytes);
    }
}
