using Rtmfp.Cluster;
using System.Net;
using Rtmfp.Flash;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Sessions.Tests.Flash;

/// <summary>RFC 7425 §5.3.3 Figure 3: the example setPeerInfo command.</summary>
public class SetPeerInfoExampleTests
{
    [Theory]
    [InlineData(RtmpMessageType.CommandAmf0)]
    [InlineData(RtmpMessageType.CommandAmf3)]
    public void Figure_3_round_trips_and_its_addresses_parse(RtmpMessageType type)
    {
        var command = new Command("setPeerInfo", 0.0, AmfNull.Instance, new AmfString("192.0.2.129:50001"), new AmfString("[2001:db8:1::2]:50002"));
        var message = command.ToMessage(type: type);
        Assert.True(RtmpMessage.TryRead(message, out var rtmp));
        Assert.True(Command.TryRead(rtmp, new AmfReader(), out var back));
        Assert.Equal("setPeerInfo", back.Name);
        Assert.Equal(0.0, back.TransactionId);
        Assert.Equal(2, back.Arguments.Count);

        Assert.True(PeerInfoAddress.TryParse(back.Argument(0)?.AsString, out var v4));
        Assert.Equal(IPEndPoint.Parse("192.0.2.129:50001"), v4.ToIPEndPoint());
        Assert.True(PeerInfoAddress.TryParse(back.Argument(1)?.AsString, out var v6));
        Assert.Equal(IPEndPoint.Parse("[2001:db8:1::2]:50002"), v6.ToIPEndPoint());
        Assert.Equal("[2001:db8:1::2]:50002", PeerInfoAddress.Format(v6));
    }

    [Theory]
    [InlineData("2001:db8:1::2:50002")]
    [InlineData("192.0.2.129")]
    [InlineData("192.0.2.129:70000")]
    [InlineData("host.example:1935")]
    public void Malformed_addresses_are_refused(string text) => Assert.False(PeerInfoAddress.TryParse(text, out _));
}
