using Rtmfp.Shared.Flash;
using static Rtmfp.Shared.Tests.Amf.TestHex;

namespace Rtmfp.Shared.Tests.Flash;

public class UserControlEventTests
{
    [Theory]
    [InlineData("04 00 00 00 00 00 00 00 00 00 01", UserControlEventType.StreamBegin, 1u, 0u)]
    [InlineData("04 00 00 00 00 00 22 00 00 00 07 00 00 00 02", UserControlEventType.FlowSync, 7u, 2u)]
    [InlineData("04 00 00 00 00 00 29 00 00 3a 98 00 00 27 10", UserControlEventType.SetKeepaliveTimers, 15000u, 10000u)]
    [InlineData("04 00 00 00 00 00 03 00 00 00 00 00 00 0b b8", UserControlEventType.SetBufferLength, 0u, 3000u)]
    [InlineData("04 00 00 00 00 00 01 00 00 00 05", UserControlEventType.StreamEof, 5u, 0u)]
    [InlineData("04 00 00 00 00 00 06 00 00 01 00", UserControlEventType.PingRequest, 256u, 0u)]
    public void ByteExactMessages(string hex, UserControlEventType type, uint v1, uint v2)
    {
        var bytes = H(hex);
        Assert.True(RtmpMessage.TryRead(bytes, out var message));
        Assert.Equal(RtmpMessageType.UserControl, message.Type);
        Assert.True(UserControlEvent.TryRead(message.Payload, out var e));
        Assert.Equal(type, e.EventType);
        Assert.Equal(v1, e.Value1);
        Assert.Equal(v2, e.Value2);
        Assert.True(e.IsKnown);

        var written = new byte[32];
        int n = new UserControlEvent(type, v1, v2).WriteMessage(written);
        Assert.Equal(hex.Replace(" ", ""), Hex(written.AsSpan(0, n)));
        Assert.Equal(n - RtmpMessage.HeaderLength, e.Length);
    }

    [Fact]
    public void NamedFactoriesAndAccessors()
    {
        var sync = UserControlEvent.FlowSync(9, 3);
        Assert.Equal(9u, sync.SyncId);
        Assert.Equal(3u, sync.Count);
        var keepalive = UserControlEvent.SetKeepaliveTimers(15000, 10000);
        Assert.Equal(15000u, keepalive.ServerKeepalivePeriod);
        Assert.Equal(10000u, keepalive.PeerKeepalivePeriod);
        var buffer = UserControlEvent.SetBufferLength(1, 100);
        Assert.Equal(1u, buffer.StreamId);
        Assert.Equal(100u, buffer.BufferLength);
        Assert.Equal(UserControlEventType.PingResponse, UserControlEvent.PingResponse(5).EventType);
        Assert.Equal(5u, UserControlEvent.PingResponse(5).PingTimestamp);

        var output = new System.Buffers.ArrayBufferWriter<byte>();
        UserControlEvent.StreamBegin(1).WriteMessage(output);
        Assert.Equal("0400000000000000000001", Hex(output.WrittenSpan));
    }

    [Fact]
    public void FlowSyncIsRecognisedInAWholeRtmpMessageOnly()
    {
        var message = new byte[32];
        int n = UserControlEvent.FlowSync(7, 2).WriteMessage(message);
        Assert.True(UserControlEvent.TryReadFlowSync(message.AsSpan(0, n), out uint syncId, out uint count));
        Assert.Equal((7u, 2u), (syncId, count));

        n = UserControlEvent.StreamBegin(1).WriteMessage(message);
        Assert.False(UserControlEvent.TryReadFlowSync(message.AsSpan(0, n), out _, out _));
        Assert.False(UserControlEvent.TryReadFlowSync(H("14 00 00 00 00 02 00 04 70 6c 61 79"), out _, out _)); // a command
        Assert.False(UserControlEvent.TryReadFlowSync(H("04 00 00 00 00 00 22 00 00 00 07"), out _, out _)); // truncated
    }

    [Theory]
    [InlineData("")]
    [InlineData("00")]
    [InlineData("00 00 00 00 00")]
    [InlineData("00 22 00 00 00 07 00 00 00")]
    [InlineData("00 22 00 00 00 07 00 00 00 00")] // count MUST be at least 1
    [InlineData("00 29 00 00 3a 98")]
    public void RejectsTruncatedOrInvalid(string hex) => Assert.False(UserControlEvent.TryRead(H(hex), out _));

    [Fact]
    public void UnknownEventsAreAcceptedAsUnknown()
    {
        Assert.True(UserControlEvent.TryRead(H("00 1f 00 00 00 01"), out var e));
        Assert.Equal((UserControlEventType)31, e.EventType);
        Assert.False(e.IsKnown);
        Assert.Equal(1u, e.Value1);
        Assert.True(UserControlEvent.TryRead(H("00 20"), out e));
        Assert.Equal(0u, e.Value1);
    }
}
