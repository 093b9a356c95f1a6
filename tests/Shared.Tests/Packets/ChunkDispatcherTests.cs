using Rtmfp.Shared.Packets;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Tests.Packets;

public class ChunkDispatcherTests
{
    private static byte[] Packet(PacketMode mode, params (ChunkType Type, byte[] Payload)[] chunks)
    {
        var buffer = new byte[1200];
        var builder = new PlainPacketBuilder(buffer, new PacketHeader(mode));
        foreach (var (type, payload) in chunks)
        {
            Assert.True(builder.TryAppendChunk(type, payload));
        }
        return builder.Written.ToArray();
    }

    private static ChunkSummary Validate(byte[] packet)
    {
        Assert.True(PlainPacket.TryRead(packet, out var header, out var chunks));
        return ChunkValidator.Validate(header.Mode, chunks);
    }

    [Fact]
    public void Counts_valid_unknown_wrong_mode_and_malformed_chunks()
    {
        var packet = Packet(PacketMode.InitiatorMark,
            (ChunkType.Ping, [1, 2]),                       // valid
            ((ChunkType)0x42, [9]),                          // unknown
            (ChunkType.IHello, [0]),                         // startup chunk in a session packet
            (ChunkType.UserData, [0x00, 0x01]),              // truncated
            (ChunkType.SessionCloseRequest, [1]),            // a payload is ignored (no fields)
            (ChunkType.DataAcknowledgementRanges, [1, 0x7F, 0]),
            (ChunkType.Padding, [0, 0]));                    // padding: not counted
        Assert.Equal(new ChunkSummary(Valid: 3, Malformed: 1, Unknown: 1, WrongMode: 1), Validate(packet));
    }

    [Fact]
    public void Nested_structures_are_validated()
    {
        // IHello whose EPD is one option claiming 5 bytes with 1 present.
        var badEpd = Packet(PacketMode.Startup, (ChunkType.IHello, [0x02, 0x05, 0x0A, 1, 2, 3, 4]));
        Assert.Equal(new ChunkSummary(0, 1, 0, 0), Validate(badEpd));
        var goodEpd = Packet(PacketMode.Startup, (ChunkType.IHello, [0x03, 0x02, 0x0A, 0x61, 1, 2, 3, 4]));
        Assert.Equal(new ChunkSummary(1, 0, 0, 0), Validate(goodEpd));
        // RIKeying whose SKRC repeats the HMAC negotiation option.
        var badSkrc = Packet(PacketMode.Startup, (ChunkType.RIKeying, [0, 0, 0, 1, 0x08, 0x03, 0x1A, 0x02, 0x00, 0x03, 0x1A, 0x02, 0x00, 0x58]));
        Assert.Equal(new ChunkSummary(0, 1, 0, 0), Validate(badSkrc));
        // User Data with options present: return-flow association with a trailing byte.
        var badOption = Packet(PacketMode.ResponderMark, (ChunkType.UserData, [0x80, 1, 1, 0, 0x03, 0x0A, 0x01, 0x05, 0x00, 0xAA]));
        Assert.Equal(new ChunkSummary(0, 1, 0, 0), Validate(badOption));
        var goodOption = Packet(PacketMode.ResponderMark, (ChunkType.UserData, [0x80, 1, 1, 0, 0x02, 0x0A, 0x05, 0x00, 0xAA]));
        Assert.Equal(new ChunkSummary(1, 0, 0, 0), Validate(goodOption));
    }

    private struct Recorder : IChunkVisitor
    {
        public List<string> Seen;
        public void OnPacketFragment(PacketFragmentChunk chunk) => Seen.Add($"fragment {chunk.PacketId}/{chunk.FragmentNumber}");
        public void OnIHello(IHelloChunk chunk) => Seen.Add($"ihello {chunk.Tag.Length}");
        public void OnFIHello(FIHelloChunk chunk) => Seen.Add("fihello");
        public void OnRHello(RHelloChunk chunk) => Seen.Add($"rhello {chunk.Cookie.Length}");
        public void OnResponderRedirect(ResponderRedirectChunk chunk) => Seen.Add("redirect");
        public void OnRHelloCookieChange(RHelloCookieChangeChunk chunk) => Seen.Add("cookiechange");
        public void OnIIKeying(IIKeyingChunk chunk) => Seen.Add($"iikeying {chunk.InitiatorSessionId}");
        public void OnRIKeying(RIKeyingChunk chunk) => Seen.Add($"rikeying {chunk.ResponderSessionId}");
        public void OnPing(PingChunk chunk) => Seen.Add($"ping {chunk.Message.Length}");
        public void OnPingReply(PingReplyChunk chunk) => Seen.Add("pingreply");
        public void OnUserData(UserDataChunk chunk) => Seen.Add($"data {chunk.FlowId}:{chunk.SequenceNumber}");
        public void OnNextUserData(NextUserDataChunk chunk) => Seen.Add($"next {chunk.UserData.Length}");
        public void OnDataAckBitmap(DataAckBitmapChunk chunk) => Seen.Add("bitmap");
        public void OnDataAckRanges(DataAckRangesChunk chunk) => Seen.Add($"ranges {chunk.CumulativeAck}");
        public void OnBufferProbe(BufferProbeChunk chunk) => Seen.Add($"probe {chunk.FlowId}");
        public void OnFlowExceptionReport(FlowExceptionReportChunk chunk) => Seen.Add($"exception {chunk.Exception}");
        public void OnSessionCloseRequest() => Seen.Add("close");
        public void OnSessionCloseAcknowledgement() => Seen.Add("closeack");
        public void OnIgnored(Chunk chunk, ChunkIgnoreReason reason) => Seen.Add($"ignored {(byte)chunk.Type:x2} {reason}");
    }

    [Fact]
    public void Dispatches_each_chunk_to_its_typed_method_in_order()
    {
        var session = Packet(PacketMode.ResponderMark,
            (ChunkType.UserData, [0x00, 2, 5, 0, 0xAA]),
            (ChunkType.NextUserData, [0x00, 0xBB, 0xCC]),
            (ChunkType.DataAcknowledgementRanges, [1, 0x7F, 4]),
            (ChunkType.BufferProbe, [3]),
            (ChunkType.FlowExceptionReport, [3, 9]),
            (ChunkType.Ping, [1, 2, 3]),
            (ChunkType.PingReply, []),
            (ChunkType.SessionCloseRequest, []),
            (ChunkType.SessionCloseAcknowledgement, []),
            (ChunkType.PacketFragment, [0x80, 1, 0, 0xEE]),
            (ChunkType.FIHello, [0x00, 0x00, 127, 0, 0, 1, 0x07, 0x6C]), // RFC 7016 §2.3.3: session packets only
            (ChunkType.RHello, [0x00, 0x00]));
        var recorder = new Recorder { Seen = [] };
        Assert.True(PlainPacket.TryRead(session, out var header, out var chunks));
        ChunkDispatcher.Visit(header.Mode, chunks, ref recorder);
        Assert.Equal(["data 2:5", "next 2", "ranges 4", "probe 3", "exception 9", "ping 3", "pingreply", "close", "closeack",
            "fragment 1/0", "fihello", "ignored 70 WrongMode"], recorder.Seen);

        var startup = Packet(PacketMode.Startup,
            (ChunkType.IHello, [0x00, 1, 2, 3]),
            (ChunkType.RHello, [0x01, 0xAA, 0x02, 0xBB, 0xCC]),
            (ChunkType.IIKeying, [0, 0, 0, 9, 0, 0, 0, 0x58]),
            (ChunkType.RIKeying, [0, 0, 0, 8, 0, 0x58]),
            (ChunkType.RHelloCookieChange, [0x01, 0xAA, 0xBB]),
            (ChunkType.ResponderRedirect, [0x00]),
            (ChunkType.FIHello, [0x00, 0x00, 127, 0, 0, 1, 0x07, 0x6C]),
            (ChunkType.Ping, []));
        recorder.Seen.Clear();
        Assert.True(PlainPacket.TryRead(startup, out header, out chunks));
        ChunkDispatcher.Visit(header.Mode, chunks, ref recorder);
        Assert.Equal(["ihello 3", "rhello 2", "iikeying 9", "rikeying 8", "cookiechange", "redirect", "ignored 0f WrongMode", "ignored 01 WrongMode"], recorder.Seen);
    }
}
