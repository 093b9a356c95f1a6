using System.Net;
using Rtmfp.Engine;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine.Tests;

public class TimestampEveryPacketTests
{
    private sealed class Sink : ISessionHandler
    {
        public void OnFlowOpened(Session session, RecvFlow flow)
        {
        }

        public void OnMessage(Session session, RecvFlow flow, ReadOnlySpan<byte> message)
        {
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Packets_built_within_one_tick_carry_a_timestamp_when_asked(bool everyPacket)
    {
        var session = new Session(SessionRole.Responder, IPEndPoint.Parse("127.0.0.1:1").Serialize(), new Sink(), 1000,
            new SessionOptions { TimestampEveryPacket = everyPacket });
        var flow = session.OpenFlow(new byte[] { 1 });
        for (int i = 0; i < 4; i++)
        {
            flow.Write(new byte[1000]);
        }
        var buf = new byte[1500];
        int withTs = 0, packets = 0;
        while (session.TryBuildPacket(buf, 1000, out int len, out _))
        {
            Assert.True(PacketHeader.TryRead(buf.AsSpan(0, len), out var header, out _));
            Assert.Equal(PacketMode.ResponderMark, header.Mode);
            packets++;
            withTs += header.HasTimestamp ? 1 : 0;
        }
        Assert.True(packets >= 2);
        Assert.Equal(everyPacket ? packets : 1, withTs);
    }
}
