using Rtmfp.Shared.Flash;
using static Rtmfp.Shared.Tests.Amf.TestHex;

namespace Rtmfp.Shared.Tests.Flash;

public class RtmpMetadataTests
{
    [Theory]
    [InlineData("54 43 04 00", 0u, ReceiveIntent.OriginalQueuingOrder)]
    [InlineData("54 43 04 01", 1u, ReceiveIntent.OriginalQueuingOrder)]
    [InlineData("54 43 05 05", 5u, ReceiveIntent.NetworkArrivalOrder)]
    [InlineData("54 43 04 fa 89 01", 2000001u, ReceiveIntent.OriginalQueuingOrder)] // librtmfp direct P2P stream
    [InlineData("54 43 04 87 ff ff 7f", 0xFFFFFFu, ReceiveIntent.OriginalQueuingOrder)]
    public void ReadsAndWrites(string hex, uint streamId, ReceiveIntent rxi)
    {
        var bytes = H(hex);
        Assert.True(RtmpMetadata.TryRead(bytes, out var m));
        Assert.Equal(streamId, m.StreamId);
        Assert.Equal(rxi, m.ReceiveIntent);
        Assert.Equal(bytes.Length, m.Length);
        Assert.Equal(Hex(bytes), Hex(new RtmpMetadata(streamId, rxi).ToArray()));
        Assert.Equal(FlowSignatureKind.RtmpStream, FlowSignature.Classify(bytes));
    }

    [Fact]
    public void ReservedBitsAreIgnored()
    {
        Assert.True(RtmpMetadata.TryRead(H("54 43 fe 03"), out var m));
        Assert.Equal(3u, m.StreamId);
        Assert.Equal(ReceiveIntent.OriginalQueuingOrder, m.ReceiveIntent);
    }

    [Theory]
    [InlineData("")]
    [InlineData("54 43")]
    [InlineData("54 43 04")] // SID set but no stream ID
    [InlineData("54 43 00")] // SID clear: SHOULD reject (RFC 7425 §5.1.1)
    [InlineData("54 43 01 00")]
    [InlineData("54 43 04 80")] // truncated VLU
    [InlineData("54 43 04 00 00")] // trailing bytes
    [InlineData("54 43 04 88 80 80 00")] // 2^24: beyond 24 bits
    [InlineData("47 43 04 00")]
    public void Rejects(string hex) => Assert.False(RtmpMetadata.TryRead(H(hex), out _));

    [Theory]
    [InlineData("47 43", FlowSignatureKind.NetGroup)]
    [InlineData("47 52 1c", FlowSignatureKind.NetGroupPeer)]
    [InlineData("54", FlowSignatureKind.Unknown)]
    [InlineData("58 59 01", FlowSignatureKind.Unknown)]
    public void ClassifiesSignatures(string hex, FlowSignatureKind kind) => Assert.Equal(kind, FlowSignature.Classify(H(hex)));

    [Fact]
    public void WriterRejectsCallerBugs()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RtmpMetadata(0x1000000));
        Assert.Throws<ArgumentException>(() => new RtmpMetadata(300).Write(new byte[4]));
    }
}
