using Rtmfp.Shared.Flash;
using static Rtmfp.Shared.Tests.Amf.TestHex;

namespace Rtmfp.Shared.Tests.Flash;

public class RtmpMessageTests
{
    [Fact]
    public void SplitsHeaderAndPayload()
    {
        Assert.True(RtmpMessage.TryRead(H("09 00 01 02 03 17 00"), out var m));
        Assert.Equal(RtmpMessageType.Video, m.Type);
        Assert.Equal(0x00010203u, m.Timestamp);
        Assert.Equal("1700", Hex(m.Payload));
        Assert.False(m.IsChunkStreamControl);

        Assert.True(RtmpMessage.TryRead(H("08 ff ff ff ff"), out m));
        Assert.Equal(0xFFFFFFFFu, m.Timestamp);
        Assert.True(m.Payload.IsEmpty);

        Assert.False(RtmpMessage.TryRead(H("08 00 00 00"), out _));
        Assert.False(RtmpMessage.TryRead([], out _));
    }

    [Fact]
    public void WritesHeaderAndPayload()
    {
        var buffer = new byte[16];
        int n = RtmpMessage.Write(buffer, RtmpMessageType.Audio, 0x01020304, H("af 01 aa"));
        Assert.Equal("0801020304af01aa", Hex(buffer.AsSpan(0, n)));
        Assert.Throws<ArgumentException>(() => RtmpMessage.Write(new byte[7], RtmpMessageType.Audio, 0, H("af 01 aa")));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(6)]
    public void ChunkStreamControlTypesAreFlagged(byte type) => Assert.True(RtmpMessage.IsChunkStreamControlType((RtmpMessageType)type));

    [Fact]
    public void AmfBodyRequiresFormatByteZeroForAmf3Envelopes()
    {
        Assert.True(RtmpMessage.TryGetAmfBody(RtmpMessageType.CommandAmf3, H("00 02 00 01 61"), out var body));
        Assert.Equal("02000161", Hex(body));
        Assert.True(RtmpMessage.TryGetAmfBody(RtmpMessageType.DataAmf3, H("00"), out body));
        Assert.True(body.IsEmpty);
        Assert.False(RtmpMessage.TryGetAmfBody(RtmpMessageType.CommandAmf3, H("01 02 00 01 61"), out _));
        Assert.False(RtmpMessage.TryGetAmfBody(RtmpMessageType.DataAmf3, [], out _));
        Assert.True(RtmpMessage.TryGetAmfBody(RtmpMessageType.CommandAmf0, H("02 00 01 61"), out body));
        Assert.Equal(4, body.Length);
        Assert.False(RtmpMessage.TryGetAmfBody(RtmpMessageType.Video, H("17"), out _));
    }

    [Fact]
    public void TimestampsCompareSerially()
    {
        Assert.True(RtmpMessage.TimestampLessThan(1, 2));
        Assert.False(RtmpMessage.TimestampLessThan(2, 2));
        Assert.True(RtmpMessage.TimestampLessThan(0xFFFFFFF0, 5)); // across the wrap
        Assert.False(RtmpMessage.TimestampLessThan(5, 0xFFFFFFF0));
    }
}
