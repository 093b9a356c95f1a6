using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Tests.Wire;

/// <summary>The byte examples of RFC 7016 §2.3.12–§2.3.14 (Figures 3–6) and docs/protocol-notes.md §8.</summary>
public class RfcExampleTests
{
    private static List<SequenceRange> Decode(AckRangeReader reader)
    {
        var list = new List<SequenceRange>();
        foreach (var r in reader)
        {
            list.Add(r);
        }
        return list;
    }

    private static List<SequenceRange> Decode(AckBitmapReader reader)
    {
        var list = new List<SequenceRange>();
        foreach (var r in reader)
        {
            list.Add(r);
        }
        return list;
    }

    [Fact]
    public void Figure3_next_user_data_sequence()
    {
        byte[] packet = Convert.FromHexString("09" + "0000" + "10000700020503000102" + "11000400030405" + "11000400060708");
        var chunks = CapturedPacketTests.Chunks(packet, out _);
        Assert.Equal(3, chunks.Count);
        Assert.True(UserDataChunk.TryRead(chunks[0].Payload, out var first));
        Assert.Equal((2UL, 5UL, 3UL, 2UL), (first.FlowId, first.SequenceNumber, first.FsnOffset, first.ForwardSequenceNumber));
        Assert.Equal(new byte[] { 0, 1, 2 }, first.UserData.ToArray());
        Assert.True(NextUserDataChunk.TryRead(chunks[1].Payload, out var second));
        Assert.Equal(new byte[] { 3, 4, 5 }, second.UserData.ToArray());
        Assert.Equal(FragmentControl.Whole, second.Flags.FragmentControl);
        Assert.True(NextUserDataChunk.TryRead(chunks[2].Payload, out var third));
        Assert.Equal(new byte[] { 6, 7, 8 }, third.UserData.ToArray());

        var rebuilt = ChunkSamples.Build((ref WireWriter w) =>
        {
            UserDataChunk.Write(ref w, new UserDataChunk(UserDataFlags.None, 2, 5, 3, default, [0, 1, 2]));
            NextUserDataChunk.Write(ref w, new NextUserDataChunk(UserDataFlags.None, default, [3, 4, 5]));
            NextUserDataChunk.Write(ref w, new NextUserDataChunk(UserDataFlags.None, default, [6, 7, 8]));
        });
        Assert.Equal(packet[3..], rebuilt);
    }

    private static readonly SequenceRange[] Figure4Ranges = [new(18, 18), new(21, 24), new(27, 28)];
    private static readonly SequenceRange[] Figure5Ranges = [new(18, 18), new(21, 24)];

    [Fact]
    public void Figure4_bitmap_ack_encodes_and_decodes()
    {
        var bytes = ChunkSamples.Build((ref WireWriter w) => DataAckBitmapChunk.Write(ref w, 5, 127, 16, Figure4Ranges));
        Assert.Equal("50000505 7f107906".Replace(" ", ""), Convert.ToHexStringLower(bytes));
        Assert.True(DataAckBitmapChunk.TryRead(bytes.AsSpan(3), out var ack));
        Assert.Equal((5UL, 127UL, 16UL), (ack.FlowId, ack.BufferBlocksAvailable, ack.CumulativeAck));
        Assert.Equal(Figure4Ranges, Decode(ack.GetRanges()));
        Span<SequenceRange> two = stackalloc SequenceRange[2];
        Assert.Equal(2, ack.CopyRanges(two));
        Assert.Equal(new SequenceRange(21, 24), two[1]);
    }

    [Fact]
    public void Figure5_range_ack_encodes_and_decodes()
    {
        var bytes = ChunkSamples.Build((ref WireWriter w) => DataAckRangesChunk.Write(ref w, 5, 127, 16, Figure5Ranges));
        Assert.Equal("510007057f1000000103", Convert.ToHexStringLower(bytes));
        Assert.Equal(bytes.Length - 3, DataAckRangesChunk.GetPayloadLength(5, 127, 16, Figure5Ranges));
        Assert.True(DataAckRangesChunk.TryRead(bytes.AsSpan(3), out var ack));
        Assert.Equal((5UL, 127UL, 16UL), (ack.FlowId, ack.BufferBlocksAvailable, ack.CumulativeAck));
        Assert.Equal(Figure5Ranges, Decode(ack.GetRanges()));
        Span<SequenceRange> many = stackalloc SequenceRange[8];
        Assert.Equal(2, ack.CopyRanges(many));
    }

    [Fact]
    public void Figure6_truncated_last_range_is_ignored_not_fatal()
    {
        // The chunk header says 7 bytes; the RFC comment says 9 (an inconsistency in the RFC text).
        byte[] packet = Convert.FromHexString("02" + "510007" + "057f10" + "0000" + "0183");
        var chunks = CapturedPacketTests.Chunks(packet, out _);
        var (type, payload) = Assert.Single(chunks);
        Assert.Equal(ChunkType.DataAcknowledgementRanges, type);
        Assert.True(DataAckRangesChunk.TryRead(payload, out var ack));
        Assert.Equal(16UL, ack.CumulativeAck);
        Assert.Equal([new SequenceRange(18, 18)], Decode(ack.GetRanges()));
    }

    [Fact]
    public void Digest_13_1_Stratus_IHello_plain_packet_and_session_id()
    {
        byte[] plain = Convert.FromHexString((
            "0B 82 60 30 00 53 42 41 0A 72 74 6D 66 70 3A 2F 2F 73 74 72 61 74 75 73 2E 61 64 6F 62 65 2E 63" +
            "6F 6D 2F 39 35 36 64 30 30 39 35 62 63 39 34 31 36 32 34 62 32 30 64 62 37 37 66 2D 37 36 33 61" +
            "63 34 66 34 36 32 38 39 2F 7D 1C 42 FB 55 1B B4 E7 8F 34 B6 C4 A0 11 CC BD").Replace(" ", ""));
        Assert.Equal(89, plain.Length);
        Assert.True(PlainPacket.TryRead(plain, out var header, out var chunks));
        Assert.Equal((PacketFlags)0x0B, header.Flags);
        Assert.Equal(0x8260, header.Timestamp);
        Assert.True(chunks.MoveNext());
        Assert.Equal(ChunkType.IHello, chunks.Current.Type);
        Assert.True(IHelloChunk.TryRead(chunks.Current.Payload, out var ihello));
        Assert.Equal(0x42, ihello.EndpointDiscriminator.Length);
        var epd = new OptionListReader(ihello.EndpointDiscriminator);
        Assert.True(epd.TryReadNext(out var uri));
        Assert.Equal(0x0AUL, uri.Type);
        Assert.Equal("rtmfp://stratus.adobe.com/956d0095bc941624b20db77f-763ac4f46289/", System.Text.Encoding.ASCII.GetString(uri.Value));
        Assert.Equal("7d1c42fb551bb4e78f34b6c4a011ccbd", Convert.ToHexStringLower(ihello.Tag));

        byte[] datagramHead = Convert.FromHexString("95BD4A12D97AE8AF4CC7A2BD263977");
        Assert.True(Multiplex.TryUnscrambleSessionId(datagramHead, out uint sid));
        Assert.Equal(0u, sid);
    }
}
