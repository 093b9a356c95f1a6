using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Akka.TestKit.Xunit;
using Microsoft.Extensions.Logging.Abstractions;
using Rtmfp.Cluster;
using Rtmfp.Gateway.Tests.Support;
using Rtmfp.Gateway.Transport;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Shared.Wire;
using Rtmfp.Integration.Tests.Support;

namespace Rtmfp.Gateway.Tests;

/// <summary>
/// The gateway's datagram path with real session keys in every verification mode (RFC 7425 §4.6.4–§4.7.3): the
/// session receives the client's plain packet and sequence number; what a session sends leaves as whole cipher blocks
/// behind the client's session ID and opens with the client's keys; tampered, truncated and misaddressed datagrams
/// reach no session; session ID 0 goes to the handshake front without a key lookup.
/// </summary>
public sealed class GatewayDatagramTests : TestKit
{
    private const uint SessionId = 0x0300_0000;
    private const uint FarSessionId = 0x0500_0000;

    private readonly RtmfpMetrics _metrics = new();
    private readonly UdpEndpoint _endpoint = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly Socket _client = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };

    public GatewayDatagramTests()
    {
        _client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    }

    private SocketAddress ClientAddress => _client.LocalEndPoint!.Serialize();

    protected override void AfterAll()
    {
        _client.Dispose();
        _endpoint.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
        _metrics.Dispose();
        base.AfterAll();
    }

    private sealed class StartupRecorder : IStartupHandler
    {
        public List<byte[]> Packets { get; } = [];
        public void OnStartupPacket(UdpEndpoint endpoint, ReadOnlySpan<byte> encryptedPacket, SocketAddress from) => Packets.Add(encryptedPacket.ToArray());
        public void OnSessionOpened(SessionOpened opened, UdpEndpoint? endpoint) { }
        public void OnCollision(SessionIdCollision collision) { }
    }

    /// <summary>A gateway whose region is a probe, with the node's end of a session keyed from a fake DH secret; and the client's end.</summary>
    private (RtmfpGateway Gateway, Akka.TestKit.TestProbe Region, StartupRecorder Startup, SessionCryptoContext Client) Start(
        int hmacToNode, int hmacToClient, bool sseqToNode, bool sseqToClient)
    {
        var random = new Random(7);
        var secret = new byte[128];
        var initiatorNonce = new byte[40];
        var responderNonce = new byte[50];
        random.NextBytes(secret);
        random.NextBytes(initiatorNonce);
        random.NextBytes(responderNonce);
        var region = CreateTestProbe();
        var startup = new StartupRecorder();
        var gateway = new RtmfpGateway(region.Ref, new SessionKeyCache(), _metrics, NullLogger.Instance);
        gateway.Attach(startup, region.Ref, [_endpoint]);
        var node = SessionCryptoMaterial.From(SessionKeys.Derive(secret, responderNonce, initiatorNonce),
            new PacketVerificationSettings(hmacToClient, hmacToNode, sseqToClient, sseqToNode));
        gateway.Cache.Set(SessionId, FarSessionId, node, _endpoint);
        var client = new SessionCryptoContext(SessionKeys.Derive(secret, initiatorNonce, responderNonce),
            new PacketVerificationSettings(hmacToNode, hmacToClient, sseqToNode, sseqToClient));
        return (gateway, region, startup, client);
    }

    /// <summary>A plain packet of <paramref name="mode"/> with one User Data chunk of <paramref name="dataLength"/> seeded bytes and a Ping.</summary>
    private static byte[] DataPacket(PacketMode mode, int dataLength, int seed)
    {
        var data = new byte[dataLength];
        new Random(seed).NextBytes(data);
        var buffer = new byte[PacketLimits.MaxSessionPacketLength + 64];
        var writer = new WireWriter(buffer);
        new PacketHeader(mode, timestamp: 0x1234, timestampEcho: 0x0042).Write(ref writer);
        UserDataChunk.Write(ref writer, new UserDataChunk(UserDataFlags.None, 3, 17, 2, default, data));
        PingChunk.Write(ref writer, new PingChunk("ping"u8));
        return writer.Written.ToArray();
    }

    private static byte[] Seal(SessionCryptoContext context, byte[] plain, uint sessionId)
    {
        var datagram = new byte[4 + context.GetEncryptedLength(plain.Length)];
        int n = 4 + context.Encrypt(plain, datagram.AsSpan(4));
        Multiplex.ScrambleSessionId(datagram.AsSpan(0, n), sessionId);
        return datagram[..n];
    }

    private static byte[] PlainOf(InboundPacket packet)
    {
        try
        {
            return packet.Buffer.AsSpan(packet.Offset, packet.Length).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(packet.Buffer);
        }
    }

    [Theory]
    [InlineData(0, 0, false, false)]   // checksum
    [InlineData(0, 0, true, true)]     // checksum + SSEQ
    [InlineData(16, 16, false, false)] // HMAC
    [InlineData(16, 16, true, true)]   // HMAC + SSEQ (rtmfp-cpp default)
    [InlineData(10, 0, true, false)]   // asymmetric: HMAC one way, checksum the other (librtmfp offers 10)
    [InlineData(4, 32, false, true)]
    public void Datagrams_round_trip_in_every_verification_mode(int hmacToNode, int hmacToClient, bool sseqToNode, bool sseqToClient)
    {
        var (gateway, region, _, client) = Start(hmacToNode, hmacToClient, sseqToNode, sseqToClient);
        using (client)
        {
            var receive = new byte[PacketLimits.MaxDatagramLength];
            var opened = new byte[PacketLimits.MaxDatagramLength];
            for (int i = 0; i < 40; i++)
            {
                int size = 1 + i * 29;
                var toNode = DataPacket(PacketMode.InitiatorMark, size, i);
                gateway.OnDatagram(_endpoint, Seal(client, toNode, SessionId), ClientAddress);
                var packet = region.ExpectMsg<InboundPacket>();
                Assert.Equal(SessionId, packet.SessionId);
                Assert.Equal(sseqToNode ? (ulong)i : 0, packet.SequenceNumber); // the session's anti-replay window needs it
                Assert.True(ClientAddress.Equals(packet.From));
                var plain = PlainOf(packet);
                Assert.Equal(toNode, plain[..toNode.Length]);
                Assert.True(plain.AsSpan(toNode.Length).IndexOfAnyExcept((byte)0xFF) < 0); // RFC 7425 §4.6.3 padding

                // The session's packet, numbered by the session (RFC 7425 §4.6.6), sealed and sent by the gateway.
                var toClient = DataPacket(PacketMode.ResponderMark, size, i + 1000);
                gateway.Send(SessionId, FarSessionId, toClient, (ulong)i, ClientAddress);
                gateway.Flush();
                int n = _client.Receive(receive);
                Assert.Equal(0, (n - 4 - hmacToClient) % SessionCryptoContext.BlockSize);
                Assert.True(Multiplex.TryUnscrambleSessionId(receive.AsSpan(0, n), out uint far));
                Assert.Equal(FarSessionId, far);
                Assert.True(client.TryDecrypt(receive.AsSpan(4, n - 4), opened, out int offset, out int length));
                Assert.Equal(toClient, opened.AsSpan(offset, toClient.Length).ToArray());
            }
        }
    }

    [Fact]
    public void The_largest_packet_a_session_builds_leaves_in_one_datagram()
    {
        var (gateway, _, _, client) = Start(32, 32, true, true);
        using (client)
        {
            var plain = new byte[PacketLimits.MaxSessionPacketLength];
            plain[0] = 0x8d;
            gateway.Send(SessionId, FarSessionId, plain, ulong.MaxValue >> 1, ClientAddress);
            gateway.Flush();
            var receive = new byte[PacketLimits.MaxDatagramLength];
            int n = _client.Receive(receive);
            Assert.True(n <= 4 + PacketLimits.MaxSessionPacketLength + SessionCryptoContext.MaxOverhead);
            var opened = new byte[n];
            Assert.True(client.TryDecryptUnwindowed(receive.AsSpan(4, n - 4), opened, out int offset, out _, out ulong sequence));
            Assert.Equal(ulong.MaxValue >> 1, sequence);
            Assert.Equal(plain, opened.AsSpan(offset, plain.Length).ToArray());
        }
    }

    [Fact]
    public void Tampered_truncated_and_short_datagrams_reach_no_session_and_a_replay_keeps_its_number()
    {
        var (gateway, region, _, client) = Start(16, 16, true, true);
        using (client)
        {
            var first = Seal(client, DataPacket(PacketMode.InitiatorMark, 300, 1), SessionId);
            gateway.OnDatagram(_endpoint, first, ClientAddress);
            var accepted = region.ExpectMsg<InboundPacket>();
            PlainOf(accepted);
            // The gateway keeps no window (any gateway may carry the session): the session's window rejects the copy.
            gateway.OnDatagram(_endpoint, first, ClientAddress);
            var replay = region.ExpectMsg<InboundPacket>();
            PlainOf(replay);
            Assert.Equal(accepted.SequenceNumber, replay.SequenceNumber);
            var window = new AntiReplayWindow();
            window.Accept(accepted.SequenceNumber);
            Assert.False(window.IsAcceptable(replay.SequenceNumber));

            var second = Seal(client, DataPacket(PacketMode.InitiatorMark, 300, 2), SessionId);
            for (int i = 4; i < second.Length; i += 37)
            {
                var tampered = (byte[])second.Clone();
                tampered[i] ^= 0x10;
                gateway.OnDatagram(_endpoint, tampered, ClientAddress);
            }
            gateway.OnDatagram(_endpoint, second.AsSpan(0, 19), ClientAddress);
            gateway.OnDatagram(_endpoint, second.AsSpan(0, second.Length - 1), ClientAddress);
            // A flipped bit in the first two cipher words unscrambles to another session ID (RFC 7016 §2.2.2): the
            // gateway may ask for its keys, but no packet reaches a session.
            var seen = region.ReceiveWhile(TimeSpan.FromMilliseconds(300), message => message);
            Assert.All(seen, message => Assert.NotEqual(SessionId, Assert.IsType<FetchSessionKeys>(message).SessionId));
            gateway.OnDatagram(_endpoint, second, ClientAddress);
            PlainOf(region.ExpectMsg<InboundPacket>());
        }
    }

    [Fact]
    public void A_datagram_for_an_unknown_session_is_dropped_and_its_keys_asked_for()
    {
        var (gateway, region, _, client) = Start(0, 0, false, false);
        using (client)
        {
            gateway.OnDatagram(_endpoint, Seal(client, DataPacket(PacketMode.InitiatorMark, 100, 1), SessionId + 1), ClientAddress);
            Assert.Equal(SessionId + 1, region.ExpectMsg<FetchSessionKeys>().SessionId);
            region.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
            gateway.OnDatagram(_endpoint, Seal(client, DataPacket(PacketMode.InitiatorMark, 100, 1), SessionId), ClientAddress);
            PlainOf(region.ExpectMsg<InboundPacket>());
        }
    }

    [Fact]
    public void Session_zero_goes_to_the_handshake_front_without_a_key_lookup()
    {
        var (gateway, region, startup, client) = Start(0, 0, false, false);
        using (client)
        using (var defaultKey = SessionCryptoContext.CreateDefault())
        {
            byte[] ihello = [0x0B, 0x00, 0x00, 0x30, 0x00, 0x16, 0x06, 0x05, 0x0A, 0x61, 0x62, 0x63, .. new byte[16]];
            var datagram = Seal(defaultKey, ihello, 0);
            gateway.OnDatagram(_endpoint, datagram, ClientAddress);
            Assert.Equal(datagram[4..], Assert.Single(startup.Packets));
            region.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        }
    }

    [Fact]
    public void Each_datagram_is_counted_in_and_each_drop_by_its_reason()
    {
        using var counters = new MetricCollector(_metrics);
        var (gateway, region, startup, client) = Start(16, 16, false, false);
        using (client)
        {
            var good = Seal(client, DataPacket(PacketMode.InitiatorMark, 100, 1), SessionId);
            gateway.OnDatagram(_endpoint, good, ClientAddress);
            PlainOf(region.ExpectMsg<InboundPacket>());
            gateway.OnDatagram(_endpoint, good.AsSpan(0, PacketLimits.MinFlashDatagramLength - 1), ClientAddress);
            var tampered = (byte[])good.Clone();
            tampered[^1] ^= 1; // in the HMAC: the session ID still unscrambles
            gateway.OnDatagram(_endpoint, tampered, ClientAddress);
            gateway.OnDatagram(_endpoint, Seal(client, DataPacket(PacketMode.InitiatorMark, 100, 1), SessionId + 7), ClientAddress);
            Assert.Equal(SessionId + 7, region.ExpectMsg<FetchSessionKeys>().SessionId);
            region.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
            Assert.Equal(4, counters["rtmfp.gateway.packets{receive}"]);
            Assert.Equal(good.Length * 2 + PacketLimits.MinFlashDatagramLength - 1 + good.Length, counters["rtmfp.gateway.io{receive}"]);
            Assert.Equal(1, counters["rtmfp.gateway.packets.dropped{malformed}"]);
            Assert.Equal(1, counters["rtmfp.gateway.packets.dropped{decrypt_failed}"]);
            Assert.Equal(1, counters["rtmfp.gateway.key_cache.misses"]);
            Assert.Empty(startup.Packets);
        }
    }

    [Fact]
    public void A_draining_gateway_starts_no_handshake_and_asks_for_no_keys()
    {
        using var counters = new MetricCollector(_metrics);
        var (gateway, region, startup, client) = Start(0, 0, false, false);
        using (client)
        using (var defaultKey = SessionCryptoContext.CreateDefault())
        {
            gateway.BeginDrain();
            Assert.True(gateway.Draining);
            gateway.OnDatagram(_endpoint, Seal(defaultKey, new byte[32], 0), ClientAddress);
            Assert.Empty(startup.Packets);
            Assert.Equal(1, counters["rtmfp.gateway.startup.refused{shutting_down}"]);
            gateway.OnDatagram(_endpoint, Seal(client, DataPacket(PacketMode.InitiatorMark, 100, 1), SessionId + 1), ClientAddress);
            gateway.Send(SessionId + 2, FarSessionId, DataPacket(PacketMode.ResponderMark, 10, 1), 1, ClientAddress);
            region.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        }
    }

    [Fact]
    public void Keys_are_asked_for_once_per_retry_interval_and_never_for_a_session_known_to_be_gone()
    {
        var (gateway, region, _, client) = Start(0, 0, false, false);
        using (client)
        {
            // A session's packet without keys (evicted, or opened through another gateway): fetch them; the engine retransmits.
            gateway.Send(SessionId + 1, FarSessionId, DataPacket(PacketMode.ResponderMark, 10, 1), 1, ClientAddress);
            gateway.Send(SessionId + 1, FarSessionId, DataPacket(PacketMode.ResponderMark, 10, 1), 2, ClientAddress);
            gateway.OnDatagram(_endpoint, Seal(client, DataPacket(PacketMode.InitiatorMark, 100, 1), SessionId + 1), ClientAddress);
            Assert.Equal(SessionId + 1, region.ExpectMsg<FetchSessionKeys>().SessionId);
            gateway.Cache.MarkUnknown(SessionId + 3, Environment.TickCount64 + 10_000);
            gateway.OnDatagram(_endpoint, Seal(client, DataPacket(PacketMode.InitiatorMark, 100, 1), SessionId + 3), ClientAddress);
            gateway.Send(SessionId + 3, FarSessionId, DataPacket(PacketMode.ResponderMark, 10, 1), 1, ClientAddress);
            region.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
            _client.ReceiveTimeout = 100;
            Assert.Throws<SocketException>(() => _client.Receive(new byte[64]));
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task A_session_packet_leaves_from_the_endpoint_its_client_last_reached_and_an_oversized_one_not_at_all()
    {
        var (gateway, region, startup, client) = Start(0, 0, false, false);
        using (client)
        {
            var other = new UdpEndpoint(new IPEndPoint(IPAddress.Loopback, 0));
            try
            {
                gateway.Attach(startup, region.Ref, [_endpoint, other]);
                var receive = new byte[PacketLimits.MaxDatagramLength];
                EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                void SendAndExpectFrom(UdpEndpoint expected, int plainLength)
                {
                    gateway.Send(SessionId, FarSessionId, new byte[plainLength], 1, ClientAddress);
                    gateway.Flush();
                    int n = _client.ReceiveFrom(receive, ref from);
                    Assert.Equal(expected.LocalEndPoint, from);
                    Assert.True(n <= PacketLimits.MaxDatagramLength);
                }
                SendAndExpectFrom(_endpoint, 10);
                gateway.OnDatagram(other, Seal(client, DataPacket(PacketMode.InitiatorMark, 50, 1), SessionId), ClientAddress);
                PlainOf(region.ExpectMsg<InboundPacket>());
                SendAndExpectFrom(other, 10);

                // The largest plain packet that fits a datagram once sealed goes; one byte more does not (and throws nothing).
                int largest = PacketLimits.MaxDatagramLength - PacketLimits.SessionIdLength - SessionCryptoContext.MaxOverhead;
                SendAndExpectFrom(other, largest);
                gateway.Send(SessionId, FarSessionId, new byte[largest + 1], 1, ClientAddress);
                gateway.Flush();
                _client.ReceiveTimeout = 200;
                Assert.Throws<SocketException>(() => _client.Receive(receive));
                Assert.True(gateway.Cache.TryGet(SessionId, out var entry));
                Assert.Equal(0, RtmfpGateway.Seal(entry, FarSessionId, new byte[largest + 1], 1, receive));
                gateway.Cache.Remove(SessionId);
                Assert.Equal(0, RtmfpGateway.Seal(entry, FarSessionId, new byte[10], 1, receive)); // keys disposed meanwhile
            }
            finally
            {
                await other.DisposeAsync();
            }
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task Keys_without_an_endpoint_send_from_the_first_of_the_address_family_and_a_gateway_without_sockets_sends_nothing()
    {
        var (gateway, region, startup, client) = Start(0, 0, false, false);
        using (client)
        {
            UdpEndpoint? v6 = null;
            try
            {
                v6 = new UdpEndpoint(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            }
            catch (SocketException)
            {
                // No IPv6 here: the family check below is skipped.
            }
            try
            {
                var v6Address = new IPEndPoint(IPAddress.IPv6Loopback, 4000).Serialize();
                if (v6 is not null)
                {
                    gateway.Attach(startup, region.Ref, [_endpoint, v6]);
                    Assert.Same(v6, gateway.EndpointFor(v6Address));
                    Assert.Same(_endpoint, gateway.EndpointFor(ClientAddress));
                    gateway.Attach(startup, region.Ref, [v6, _endpoint]);
                    Assert.Same(_endpoint, gateway.EndpointFor(ClientAddress));
                }
                gateway.Attach(startup, region.Ref, [_endpoint]);
                Assert.Same(_endpoint, gateway.EndpointFor(v6Address)); // none of its family: the first
                gateway.Cache.Set(SessionId + 5, FarSessionId, SessionCryptoMaterial.From(SessionKeys.FromParts(new byte[16], new byte[16], new byte[32], new byte[32], new byte[32], new byte[32]), default), null);
                gateway.Send(SessionId + 5, FarSessionId, new byte[10], 1, ClientAddress);
                gateway.Flush();
                Assert.True(_client.Receive(new byte[256]) > 0);

                gateway.Attach(startup, region.Ref, []);
                Assert.Null(gateway.EndpointFor(ClientAddress));
                gateway.Cache.Set(SessionId + 6, FarSessionId, SessionCryptoMaterial.From(SessionKeys.FromParts(new byte[16], new byte[16], new byte[32], new byte[32], new byte[32], new byte[32]), default), null);
                gateway.Send(SessionId + 6, FarSessionId, new byte[10], 1, ClientAddress);
                gateway.Flush();
                _client.ReceiveTimeout = 200;
                Assert.Throws<SocketException>(() => _client.Receive(new byte[256]));
            }
            finally
            {
                if (v6 is not null)
                {
                    await v6.DisposeAsync();
                }
            }
        }
    }
}
