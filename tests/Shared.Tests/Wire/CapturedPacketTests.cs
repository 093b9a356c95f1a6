using System.Text;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Tests.Wire;

/// <summary>Decrypted plain packets from tests/vectors: header, chunks and fields as listed in the README.</summary>
public class CapturedPacketTests
{
    private const string NoHmac = "127.0.0.1:46973";   // rtmfp-cpp tcconn -> tcserver (no HMAC)
    private const string NoHmacServer = "127.0.0.1:19351 -> 127.0.0.1:46973";
    private const string LibClient = "127.0.0.1:47245 -> 127.0.0.1:19352";
    private const string LibServer = "127.0.0.1:19352 -> 127.0.0.1:47245";

    /// <summary>Strips the 2-byte checksum, parses the header and returns the single chunk (type, payload, raw chunk bytes).</summary>
    private static (PacketHeader Header, ChunkType Type, byte[] Payload, byte[] Raw) SingleChunk(CapturedFrame frame)
    {
        Assert.NotNull(frame.Plaintext);
        var plain = frame.Plaintext.AsSpan(2);
        Assert.True(PlainPacket.TryRead(plain, out var header, out var chunks));
        int headerLength = header.Length;
        Assert.True(chunks.MoveNext());
        var chunk = chunks.Current;
        var result = (header, chunk.Type, chunk.Payload.ToArray(),
            plain.Slice(headerLength + chunk.Offset, PacketLimits.ChunkHeaderLength + chunk.Payload.Length).ToArray());
        Assert.False(chunks.MoveNext());
        // Everything after the chunk is 0xFF padding.
        Assert.True(plain[(headerLength + chunks.Position)..].IndexOfAnyExcept((byte)0xFF) < 0);
        return result;
    }

    private static CapturedFrame Frame(string prefix) => CapturedVectors.Get(prefix);

    [Fact]
    public void Readme_has_the_expected_frames()
    {
        Assert.True(CapturedVectors.All.Count(f => f.Plaintext is not null) >= 10);
    }

    [Fact]
    public void Every_frame_unscrambles_to_the_listed_session_id()
    {
        int checkedFrames = 0;
        foreach (var frame in CapturedVectors.All.Where(f => f.Wire is not null))
        {
            Assert.True(Multiplex.TryUnscrambleSessionId(frame.Wire, out uint sid), frame.Header);
            Assert.Equal(frame.SessionId, sid);
            checkedFrames++;
        }
        Assert.True(checkedFrames >= 10);
    }

    [Fact]
    public void Every_wire_frame_opens_under_the_default_key_to_its_listed_plaintext()
    {
        // What the gateway's handshake front does with a startup datagram (RFC 7425 §4.1, §4.7.3); non-zero IDs here
        // are RIKeying to the initiator's session ID, still under the default key (RFC 7016 §2.2.3).
        using var defaultKey = Rtmfp.Shared.Crypto.SessionCryptoContext.CreateDefault();
        int checkedFrames = 0;
        foreach (var frame in CapturedVectors.All.Where(f => f.Wire is not null && f.Plaintext is not null))
        {
            var plain = new byte[frame.Wire!.Length];
            Assert.True(defaultKey.TryDecrypt(frame.Wire.AsSpan(PacketLimits.SessionIdLength), plain, out int offset, out int length), frame.Header);
            Assert.Equal(frame.Plaintext!.AsSpan(2).ToArray(), plain.AsSpan(offset, length).ToArray());
            Assert.True(PlainPacket.TryRead(plain.AsSpan(offset, length), out var header, out var chunks));
            Assert.Equal(PacketMode.Startup, header.Mode);
            Assert.True(chunks.MoveNext() && ChunkTypes.IsAllowedInMode(chunks.Current.Type, PacketMode.Startup), frame.Header);
            checkedFrames++;
        }
        Assert.True(checkedFrames >= 10, $"only {checkedFrames} frames");
    }

    [Fact]
    public void Every_plaintext_is_a_startup_packet_with_flags_0x0B_and_one_known_chunk_that_reencodes_identically()
    {
        foreach (var frame in CapturedVectors.All.Where(f => f.Plaintext is not null))
        {
            var (header, type, payload, raw) = SingleChunk(frame);
            Assert.Equal((PacketFlags)0x0B, header.Flags);
            Assert.Equal(PacketMode.Startup, header.Mode);
            Assert.True(header.HasTimestamp);
            Assert.False(header.HasTimestampEcho);
            Assert.True(ChunkTypes.IsStartup(type));
            Assert.True(ChunkTypes.IsAllowedInMode(type, header.Mode));
            Assert.Equal(raw, ChunkSamples.Reencode(type, payload, withHeader: true));
        }
    }

    [Fact]
    public void RtmfpCpp_IHello_RHello_IIKeying_RIKeying()
    {
        var (h1, t1, p1, _) = SingleChunk(Frame("frame 1  " + NoHmac));
        Assert.Equal(ChunkType.IHello, t1);
        Assert.Equal(0, h1.Timestamp);
        Assert.Equal(47, p1.Length);
        Assert.True(IHelloChunk.TryRead(p1, out var ihello));
        Assert.Equal(30, ihello.EndpointDiscriminator.Length);
        Assert.Equal([0x1D, 0x0A, .. Encoding.ASCII.GetBytes("rtmfp://127.0.0.1:19351/live")], ihello.EndpointDiscriminator.ToArray());
        Assert.Equal("d77901a292d6318df3be1115cb8b2adc", Convert.ToHexStringLower(ihello.Tag));

        var (h2, t2, p2, _) = SingleChunk(Frame("frame 2  " + NoHmacServer));
        Assert.Equal(ChunkType.RHello, t2);
        Assert.Equal(0x017B, h2.Timestamp);
        Assert.Equal(160, p2.Length);
        Assert.True(RHelloChunk.TryRead(p2, out var rhello));
        Assert.Equal(ihello.Tag.ToArray(), rhello.TagEcho.ToArray());
        Assert.Equal(65, rhello.Cookie.Length);
        Assert.StartsWith("014d71cce1e803d4", Convert.ToHexStringLower(rhello.Cookie));
        Assert.Equal(77, rhello.ResponderCertificate.Length);
        Assert.Equal("010a021510", Convert.ToHexStringLower(rhello.ResponderCertificate[..5]));

        var (_, t3, p3, _) = SingleChunk(Frame("frame 3  " + NoHmac));
        Assert.Equal(ChunkType.IIKeying, t3);
        Assert.Equal(1058, p3.Length);
        Assert.True(IIKeyingChunk.TryRead(p3, out var iik));
        Assert.Equal(0x02000000u, iik.InitiatorSessionId);
        Assert.Equal(rhello.Cookie.ToArray(), iik.CookieEcho.ToArray());
        Assert.Equal(908, iik.InitiatorCertificate.Length);
        Assert.Equal(76, iik.SessionKeyInitiatorComponent.Length);
        Assert.Equal("021d10", Convert.ToHexStringLower(iik.SessionKeyInitiatorComponent[..3]));
        Assert.Equal([0x58], iik.Signature.ToArray());
        Assert.Equal(p3.Length - 1, iik.SignedParameters.Length);
        Assert.Equal(iik.SignedParametersLength, iik.SignedParameters.Length);

        var frame4 = Frame("frame 4  " + NoHmacServer);
        Assert.Equal(0x02000000u, frame4.SessionId);
        var (_, t4, p4, _) = SingleChunk(frame4);
        Assert.Equal(ChunkType.RIKeying, t4);
        Assert.Equal(530, p4.Length);
        Assert.True(RIKeyingChunk.TryRead(p4, out var rik));
        Assert.Equal(0x02000000u, rik.ResponderSessionId);
        Assert.Equal(523, rik.SessionKeyResponderComponent.Length);
        Assert.Equal("021e02031a0210", Convert.ToHexStringLower(rik.SessionKeyResponderComponent[..7]));
        Assert.Equal([0x58], rik.Signature.ToArray());
        Assert.Equal(p4.Length - 1, rik.SignedParametersPortion.Length);
    }

    [Fact]
    public void Librtmfp_MonaTiny_handshake()
    {
        var (h1, _, p1, _) = SingleChunk(Frame("frame 1  " + LibClient));
        Assert.Equal(0x0E05, h1.Timestamp);
        Assert.True(IHelloChunk.TryRead(p1, out var ihello));
        Assert.Equal("050a6c697665", Convert.ToHexStringLower(ihello.EndpointDiscriminator));
        Assert.Equal("d4ba3f99f13dcac07f9cc7c0013c4de7", Convert.ToHexStringLower(ihello.Tag));

        var (_, _, p2, _) = SingleChunk(Frame("frame 2  " + LibServer));
        Assert.True(RHelloChunk.TryRead(p2, out var rhello));
        Assert.Equal(ihello.Tag.ToArray(), rhello.TagEcho.ToArray());
        Assert.Equal(64, rhello.Cookie.Length);
        Assert.Equal(77, rhello.ResponderCertificate.Length);

        var (_, _, p3, _) = SingleChunk(Frame("frame 3  " + LibClient));
        Assert.True(IIKeyingChunk.TryRead(p3, out var iik));
        Assert.Equal(0x02000000u, iik.InitiatorSessionId);
        Assert.Equal(rhello.Cookie.ToArray(), iik.CookieEcho.ToArray());
        Assert.Equal(132, iik.InitiatorCertificate.Length);
        Assert.Equal(76, iik.SessionKeyInitiatorComponent.Length);
        Assert.Equal([0x58], iik.Signature.ToArray());

        var frame4 = Frame("frame 4  " + LibServer);
        Assert.Equal(0x02000000u, frame4.SessionId);
        var (_, _, p4, _) = SingleChunk(frame4);
        Assert.True(RIKeyingChunk.TryRead(p4, out var rik));
        Assert.Equal(5u, rik.ResponderSessionId);
        Assert.Equal(139, rik.SessionKeyResponderComponent.Length);
        Assert.Equal([0x58], rik.Signature.ToArray());
    }

    [Fact]
    public void P2P_IHello_with_fingerprint_and_Redirect_to_peer()
    {
        var (_, _, p16, _) = SingleChunk(Frame("frame 16  127.0.0.1:41600 -> 127.0.0.1:19350"));
        Assert.True(IHelloChunk.TryRead(p16, out var ihello));
        Assert.Equal(34, ihello.EndpointDiscriminator.Length);
        Assert.Equal("210f48aff912d2639581c7e06748f5c25933", Convert.ToHexStringLower(ihello.EndpointDiscriminator[..18]));
        Assert.Equal("2de88b77ea0090ebec68d6bae3b454fc", Convert.ToHexStringLower(ihello.Tag));

        var (h17, t17, p17, _) = SingleChunk(Frame("frame 17  127.0.0.1:19350 -> 127.0.0.1:41600"));
        Assert.Equal(0x9EB3, h17.Timestamp);
        Assert.Equal(ChunkType.ResponderRedirect, t17);
        Assert.True(ResponderRedirectChunk.TryRead(p17, out var redirect));
        Assert.Equal(ihello.Tag.ToArray(), redirect.TagEcho.ToArray());
        Assert.False(redirect.IsImpliedRedirect);
        var destinations = new List<Address>();
        foreach (var a in redirect.GetDestinations())
        {
            destinations.Add(a);
        }
        var only = Assert.Single(destinations);
        Assert.False(only.IsIPv6);
        Assert.Equal(AddressOrigin.Unknown, only.Origin);
        Assert.Equal("127.0.0.1:38576", only.ToString());
    }

    [Fact]
    public void Plaintext_connect_user_data_and_acks()
    {
        var packets = CapturedVectors.PlaintextConnectPackets();
        Assert.Equal(8, packets.Count);

        // Client connect on flow 1 with "TC" metadata for stream 0, no return association.
        foreach (int i in new[] { 0, 4 })
        {
            var chunks = Chunks(packets[i], out var header);
            Assert.Equal(PacketMode.InitiatorMark, header.Mode);
            var (type, payload) = Assert.Single(chunks);
            Assert.Equal(ChunkType.UserData, type);
            Assert.True(UserDataChunk.TryRead(payload, out var ud));
            Assert.Equal((1UL, 1UL, 1UL, 0UL), (ud.FlowId, ud.SequenceNumber, ud.FsnOffset, ud.ForwardSequenceNumber));
            Assert.Equal(FragmentControl.Whole, ud.Flags.FragmentControl);
            Assert.True(UserDataOptions.TryRead(ud.Options, out var opts));
            Assert.Equal("54430400", Convert.ToHexStringLower(opts.Metadata));
            Assert.False(opts.HasReturnFlowAssociation);
            Assert.False(opts.HasUnrecognizedMandatoryOption);
            Assert.Equal(0x14, ud.UserData[0]); // AMF0 command message
        }

        // Client acks: tcserver's flow 2, MonaTiny's flow 1; 64 blocks; cumulative ack 1.
        AssertSingleRangeAck(packets[1], PacketMode.InitiatorMark, flowId: 2, blocks: 64, cumAck: 1);
        AssertSingleRangeAck(packets[5], PacketMode.InitiatorMark, flowId: 1, blocks: 64, cumAck: 1);
        AssertSingleRangeAck(packets[2], PacketMode.ResponderMark, flowId: 1, blocks: 64, cumAck: 1);
        AssertSingleRangeAck(packets[6], PacketMode.ResponderMark, flowId: 1, blocks: 65407, cumAck: 1);

        Chunks(packets[2], out var tcAckHeader);
        Assert.Equal((PacketFlags)0x0E, tcAckHeader.Flags);
        Assert.Equal((0x0311, 0x9AA6), (tcAckHeader.Timestamp, tcAckHeader.TimestampEcho));

        // tcserver _result: flags 0x82 (TC, no timestamp), flow 2 associated with the client's flow 1.
        var tc = Chunks(packets[3], out var tcHeader);
        Assert.Equal((PacketFlags)0x82, tcHeader.Flags);
        Assert.True(tcHeader.TimeCritical);
        Assert.False(tcHeader.HasTimestamp);
        Assert.True(UserDataChunk.TryRead(Assert.Single(tc).Payload, out var result));
        Assert.Equal((2UL, 1UL, 1UL), (result.FlowId, result.SequenceNumber, result.FsnOffset));
        Assert.True(UserDataOptions.TryRead(result.Options, out var resultOpts));
        Assert.True(resultOpts.HasReturnFlowAssociation);
        Assert.Equal(1UL, resultOpts.ReturnFlowId);
        Assert.Equal("020a01", Convert.ToHexStringLower(result.Options[6..9]));

        // MonaTiny _result: User Data then Next User Data (seq 2 implied).
        var mona = Chunks(packets[7], out var monaHeader);
        Assert.Equal((PacketFlags)0x4A, monaHeader.Flags);
        Assert.True(monaHeader.TimeCriticalReverse);
        Assert.Equal(2, mona.Count);
        Assert.Equal(ChunkType.NextUserData, mona[1].Type);
        Assert.True(NextUserDataChunk.TryRead(mona[1].Payload, out var next));
        Assert.False(next.Flags.HasOptions);
        Assert.Equal(15, next.UserData.Length);
    }

    private static void AssertSingleRangeAck(byte[] packet, PacketMode mode, ulong flowId, ulong blocks, ulong cumAck)
    {
        var chunks = Chunks(packet, out var header);
        Assert.Equal(mode, header.Mode);
        var (type, payload) = Assert.Single(chunks);
        Assert.Equal(ChunkType.DataAcknowledgementRanges, type);
        Assert.True(DataAckRangesChunk.TryRead(payload, out var ack));
        Assert.Equal((flowId, blocks, cumAck), (ack.FlowId, ack.BufferBlocksAvailable, ack.CumulativeAck));
        Assert.True(ack.EncodedRanges.IsEmpty);
    }

    internal static List<(ChunkType Type, byte[] Payload)> Chunks(byte[] packet, out PacketHeader header)
    {
        Assert.True(PlainPacket.TryRead(packet, out header, out var reader));
        var list = new List<(ChunkType, byte[])>();
        foreach (var chunk in reader)
        {
            list.Add((chunk.Type, chunk.Payload.ToArray()));
        }
        return list;
    }
}
