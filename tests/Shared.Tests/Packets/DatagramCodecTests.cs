using System.Buffers.Binary;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Packets;
using Rtmfp.Shared.Tests.Crypto;
using Rtmfp.Shared.Tests.Wire;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Tests.Packets;

public class DatagramCodecTests
{
    private static readonly PacketHeader InitiatorHeader = new(PacketMode.InitiatorMark, timestamp: 0x1234, timestampEcho: 0x0042);

    /// <summary>Builds a mode-1 packet with one User Data chunk of <paramref name="dataLength"/> seeded bytes and seals it.</summary>
    private static byte[] SealUserData(SessionCryptoContext context, uint sessionId, int dataLength, int seed, out byte[] plain)
    {
        var datagram = new byte[PacketLimits.MaxDatagramLength];
        var builder = DatagramCodec.BeginPacket(datagram, context, InitiatorHeader);
        var data = new byte[dataLength];
        new Random(seed).NextBytes(data);
        var chunk = new UserDataChunk(UserDataFlags.None, 3, 17, 2, default, data);
        Assert.True(builder.TryAppend(chunk.Length, out var space));
        var writer = new WireWriter(space);
        UserDataChunk.Write(ref writer, chunk);
        Assert.True(builder.TryAppendChunk(ChunkType.Ping, "ping"u8));
        plain = builder.Written.ToArray();
        int expected = DatagramCodec.GetDatagramLength(context, plain.Length);
        int length = DatagramCodec.Seal(builder.Written, context, sessionId, datagram);
        Assert.Equal(expected, length);
        return datagram[..length];
    }

    [Theory]
    [InlineData(0, 0, false, false)]   // checksum
    [InlineData(0, 0, true, true)]     // checksum + SSEQ
    [InlineData(16, 16, false, false)] // HMAC
    [InlineData(16, 16, true, true)]   // HMAC + SSEQ (rtmfp-cpp default)
    [InlineData(10, 0, true, false)]   // asymmetric: HMAC one way, checksum the other (librtmfp offers 10)
    [InlineData(4, 32, false, true)]
    public void Round_trips_in_every_verification_mode(int hmacAtoB, int hmacBtoA, bool sseqAtoB, bool sseqBtoA)
    {
        var (a, b) = SessionPair.Create(hmacAtoB, hmacBtoA, sseqAtoB, sseqBtoA);
        using var codecA = new DatagramCodec();
        using var codecB = new DatagramCodec();
        using (a)
        using (b)
        {
            var plainBuffer = new byte[PacketLimits.MaxDatagramLength];
            for (int i = 0; i < 40; i++)
            {
                int size = 1 + i * 29;
                var toB = SealUserData(a, 0x0300_0000, size, i, out var plainToB);
                Assert.Equal(ReceiveStatus.Accepted, codecB.TryReceive(toB, plainBuffer, new OneSession(0x0300_0000, b, false), out var atB));
                Assert.Equal(0x0300_0000u, atB.SessionId);
                Assert.Same(b, atB.Context);
                Assert.False(atB.UsedDefaultKey);
                Assert.Equal(plainToB, atB.PlainPacket[..plainToB.Length].ToArray());
                Assert.True(atB.PlainPacket[plainToB.Length..].IndexOfAnyExcept((byte)0xFF) < 0);
                Assert.Equal(new ChunkSummary(2, 0, 0, 0), atB.Summary);
                Assert.Equal(0x1234, atB.Header.Timestamp);
                Assert.Equal(0x0042, atB.Header.TimestampEcho);

                var toA = SealUserData(b, 5, size, i + 1000, out var plainToA);
                Assert.Equal(ReceiveStatus.Accepted, codecA.TryReceive(toA, plainBuffer, new OneSession(5, a, false), out var atA));
                Assert.Equal(plainToA, atA.PlainPacket[..plainToA.Length].ToArray());
                int chunks = 0;
                foreach (var chunk in atA.Chunks)
                {
                    chunks++;
                    if (chunk.Type == ChunkType.UserData)
                    {
                        Assert.True(UserDataChunk.TryRead(chunk.Payload, out var ud));
                        Assert.Equal(size, ud.UserData.Length);
                    }
                }
                Assert.Equal(2, chunks);
            }
        }
    }

    [Fact]
    public void Sealed_datagrams_are_whole_blocks_behind_the_session_id_and_fit_the_region()
    {
        var (a, _) = SessionPair.Create(16, 16, true, true);
        using (a)
        {
            // A buffer exactly the size of a 1200-byte packet's datagram: the region must still hold 1200.
            int needed = DatagramCodec.GetDatagramLength(a, PacketLimits.MaxSessionPacketLength);
            var datagram = new byte[needed];
            var region = DatagramCodec.GetPlainRegion(datagram, a);
            Assert.Equal(PacketLimits.MaxSessionPacketLength, region.Length);
            region.Fill(0x55);
            region[0] = 0x09;
            int length = DatagramCodec.Seal(region, a, 9, datagram);
            Assert.Equal(needed, length);
            Assert.Equal(0, (length - 4 - 16) % 16);
            Assert.True(Multiplex.TryUnscrambleSessionId(datagram, out uint sid));
            Assert.Equal(9u, sid);

            // A smaller buffer shrinks the region instead of overflowing.
            var small = new byte[100];
            var smallRegion = DatagramCodec.GetPlainRegion(small, a);
            smallRegion.Fill(0x01);
            Assert.True(DatagramCodec.Seal(smallRegion, a, 9, small) <= small.Length);
        }
    }

    [Fact]
    public void A_datagram_for_an_unknown_session_is_dropped()
    {
        var (a, b) = SessionPair.Create(0, 0, false, false);
        using var codec = new DatagramCodec();
        using (a)
        using (b)
        {
            var datagram = SealUserData(a, 77, 100, 1, out _);
            var plain = new byte[datagram.Length];
            Assert.Equal(ReceiveStatus.UnknownSession, codec.TryReceive(datagram, plain, new NoSessions(), out _));
            Assert.Equal(ReceiveStatus.UnknownSession, codec.TryReceive(datagram, plain, new TestKeyTable().Add(78, b), out _));
            Assert.Equal(ReceiveStatus.Accepted, codec.TryReceive(datagram, plain, new TestKeyTable().Add(77, b), out _));
        }
    }

    [Fact]
    public void Session_zero_uses_the_default_key_without_asking_the_lookup()
    {
        using var codec = new DatagramCodec();
        using var peer = SessionCryptoContext.CreateDefault();
        var datagram = new byte[256];
        var builder = DatagramCodec.BeginPacket(datagram, peer, new PacketHeader(PacketMode.Startup, timestamp: 0));
        Assert.True(builder.TryAppendChunk(ChunkType.IHello, [0x06, 0x05, 0x0A, 0x61, 0x62, 0x63, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]));
        int length = DatagramCodec.Seal(builder.Written, peer, 0, datagram);
        var plain = new byte[length];
        Assert.Equal(ReceiveStatus.Accepted, codec.TryReceive(datagram.AsSpan(0, length), plain, new NoSessions(), out var packet));
        Assert.True(packet.UsedDefaultKey);
        Assert.Same(codec.DefaultContext, packet.Context);
        Assert.Equal(PacketMode.Startup, packet.Header.Mode);
        Assert.Equal(new ChunkSummary(1, 0, 0, 0), packet.Summary);
    }

    [Fact]
    public void A_keying_session_accepts_the_default_key_and_a_keyed_one_does_not()
    {
        var (a, b) = SessionPair.Create(16, 16, true, true);
        using var codec = new DatagramCodec();
        using var peerDefault = SessionCryptoContext.CreateDefault();
        using (a)
        using (b)
        {
            // An RIKeying-style packet: initiator's session ID, Default Session Key (RFC 7016 §2.2.3).
            var datagram = new byte[256];
            var builder = DatagramCodec.BeginPacket(datagram, peerDefault, new PacketHeader(PacketMode.Startup, timestamp: 1));
            Assert.True(builder.TryAppendChunk(ChunkType.RIKeying, [0, 0, 0, 5, 0x00, 0x58]));
            int length = DatagramCodec.Seal(builder.Written, peerDefault, 0x0200_0000, datagram);
            var packetBytes = datagram[..length];
            var plain = new byte[PacketLimits.MaxDatagramLength];

            Assert.Equal(ReceiveStatus.Accepted, codec.TryReceive(packetBytes, plain, new OneSession(0x0200_0000, null, true), out var keying));
            Assert.True(keying.UsedDefaultKey);
            Assert.Equal(new ChunkSummary(1, 0, 0, 0), keying.Summary);

            // Keys derived but the far end may still retransmit RIKeying: both keys apply.
            Assert.Equal(ReceiveStatus.Accepted, codec.TryReceive(packetBytes, plain, new OneSession(0x0200_0000, b, true), out var both));
            Assert.True(both.UsedDefaultKey);

            // Established: only the session key.
            Assert.Equal(ReceiveStatus.VerificationFailed, codec.TryReceive(packetBytes, plain, new OneSession(0x0200_0000, b, false), out _));

            // And a session-key packet under a keying session comes out under the session key.
            var sessionPacket = SealUserData(a, 0x0200_0000, 50, 3, out _);
            Assert.Equal(ReceiveStatus.Accepted, codec.TryReceive(sessionPacket, plain, new OneSession(0x0200_0000, b, true), out var keyed));
            Assert.False(keyed.UsedDefaultKey);
        }
    }

    [Fact]
    public void Replayed_and_tampered_datagrams_are_rejected()
    {
        var (a, b) = SessionPair.Create(16, 16, true, true);
        using var codec = new DatagramCodec();
        using (a)
        using (b)
        {
            var lookup = new OneSession(1, b, false);
            var first = SealUserData(a, 1, 300, 1, out _);
            var plain = new byte[first.Length];
            Assert.Equal(ReceiveStatus.Accepted, codec.TryReceive(first, plain, lookup, out _));
            Assert.Equal(ReceiveStatus.VerificationFailed, codec.TryReceive(first, plain, lookup, out _));

            var second = SealUserData(a, 1, 300, 2, out _);
            for (int i = 4; i < second.Length; i += 37)
            {
                var tampered = (byte[])second.Clone();
                tampered[i] ^= 0x10;
                Assert.NotEqual(ReceiveStatus.Accepted, codec.TryReceive(tampered, plain, lookup, out _));
            }
            Assert.Equal(ReceiveStatus.Accepted, codec.TryReceive(second, plain, lookup, out _));
            Assert.Equal(ReceiveStatus.TooShort, codec.TryReceive(second.AsSpan(0, 19), plain, lookup, out _));
            Assert.Equal(ReceiveStatus.VerificationFailed, codec.TryReceive(second.AsSpan(0, second.Length - 1), plain, lookup, out _));
        }
    }

    [Fact]
    public void Mode_zero_and_truncated_headers_are_rejected_after_verification()
    {
        using var codec = new DatagramCodec();
        using var peer = SessionCryptoContext.CreateDefault();
        var plain = new byte[64];
        var datagram = new byte[64];
        int length = DatagramCodec.Seal([0x08, 0x00, 0x01, 0x01, 0x00, 0x00], peer, 0, datagram); // mode 0
        Assert.Equal(ReceiveStatus.InvalidHeader, codec.TryReceive(datagram.AsSpan(0, length), plain, new NoSessions(), out _));
        // TS flag set but the padding supplies the timestamp: a header of 0x0B then 0xFF 0xFF parses (the RFC has no way to tell).
        length = DatagramCodec.Seal([0x0B], peer, 0, datagram);
        Assert.Equal(ReceiveStatus.Accepted, codec.TryReceive(datagram.AsSpan(0, length), plain, new NoSessions(), out var p));
        Assert.Equal(0xFFFF, p.Header.Timestamp);
        Assert.True(p.Summary.IsEmpty);
    }

    [Fact]
    public void Every_decodable_captured_frame_goes_through_the_receive_path()
    {
        using var codec = new DatagramCodec();
        int checkedFrames = 0;
        foreach (var frame in CapturedVectors.All)
        {
            if (frame.Wire is null || frame.Plaintext is null)
            {
                continue;
            }
            var plain = new byte[frame.Wire.Length];
            // Non-zero IDs here are RIKeying to the initiator's session ID, still under the default key.
            var status = codec.TryReceive(frame.Wire, plain, new OneSession(frame.SessionId, null, true), out var packet);
            Assert.True(status == ReceiveStatus.Accepted, frame.Header + ": " + status);
            Assert.Equal(frame.SessionId, packet.SessionId);
            Assert.True(packet.UsedDefaultKey);
            Assert.Equal(frame.Plaintext.AsSpan(2).ToArray(), packet.PlainPacket.ToArray());
            Assert.Equal(PacketMode.Startup, packet.Header.Mode);
            Assert.Equal(0, packet.Summary.Malformed);
            Assert.True(packet.Summary.Valid >= 1, frame.Header);
            checkedFrames++;
        }
        Assert.True(checkedFrames >= 10, $"only {checkedFrames} frames");
    }

    [Theory]
    [InlineData("rtmfpcpp_tcserver_publish_play.pcap", 8, true)]
    [InlineData("rtmfpcpp_tcserver_p2p_intro.pcap", 9, true)]
    [InlineData("librtmfp_monatiny_connect.pcap", 4, true)]
    [InlineData("rtmfpcpp_cumulus_dhgroup_mismatch.pcap", 4, false)]
    [InlineData("rtmfpcpp_monatiny_dhgroup_mismatch.pcap", 4, false)]
    public void Captured_sessions_split_into_default_key_handshakes_and_opaque_session_packets(string file, int minHandshake, bool hasSessionPackets)
    {
        using var codec = new DatagramCodec();
        var datagrams = CaptureReader.ReadUdp(file);
        int accepted = 0, unknown = 0;
        foreach (var d in datagrams)
        {
            Assert.True(Multiplex.TryUnscrambleSessionId(d.Payload, out uint sid));
            var plain = new byte[d.Payload.Length];
            // We hold no session keys: every session packet is for an unknown session, every handshake packet opens.
            var status = codec.TryReceive(d.Payload, plain, new OneSession(sid, null, true), out var packet);
            if (status == ReceiveStatus.Accepted)
            {
                accepted++;
                Assert.Equal(PacketMode.Startup, packet.Header.Mode);
                Assert.Equal(0, packet.Summary.Malformed);
            }
            else
            {
                Assert.Equal(ReceiveStatus.VerificationFailed, status);
                Assert.NotEqual(0u, sid);
                unknown++;
            }
        }
        Assert.True(accepted >= minHandshake, $"{file}: {accepted} handshake packets");
        Assert.Equal(hasSessionPackets, unknown > 0);
    }

    [Fact]
    public void The_plaintext_connect_vectors_round_trip_under_session_keys()
    {
        var (a, b) = SessionPair.Create(16, 0, true, false);
        using var codec = new DatagramCodec();
        using (a)
        using (b)
        {
            var datagram = new byte[2048];
            var plain = new byte[2048];
            foreach (var packet in CapturedVectors.PlaintextConnectPackets())
            {
                int length = DatagramCodec.Seal(packet, a, 3, datagram);
                Assert.Equal(ReceiveStatus.Accepted, codec.TryReceive(datagram.AsSpan(0, length), plain, new OneSession(3, b, false), out var received));
                Assert.Equal(packet, received.PlainPacket[..packet.Length].ToArray());
                Assert.Equal(0, received.Summary.Malformed);
                Assert.True(received.Summary.Valid >= 1);
                Assert.Equal(packet[0], (byte)received.Header.Flags);
                if (received.Header.HasTimestamp)
                {
                    Assert.Equal(BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(1)), received.Header.Timestamp);
                }
            }
        }
    }
}
