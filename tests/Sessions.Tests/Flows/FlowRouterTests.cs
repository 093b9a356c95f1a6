using Rtmfp.Flash;
using Rtmfp.Sessions.Tests.Rtmfp;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Sessions.Tests.Flows;

/// <summary>The session's flow router, on an in-memory engine pair set up as the session actor sets up its own.</summary>
public sealed class FlowRouterTests
{
    [Fact]
    public void Echo_flows_come_back_and_TC_flows_reach_the_Flash_adapter()
    {
        var pair = new EnginePair(new StreamRelay());
        var echo = pair.ClientSession.OpenFlow("echo-router"u8.ToArray());
        echo.Write("one"u8.ToArray());
        echo.Write("two"u8.ToArray());
        pair.Run();
        pair.Client.Connect();

        Assert.Equal(["one", "two"], pair.Client.Received.Where(r => r.Flow.Metadata.Span.StartsWith("echo"u8))
            .Select(r => System.Text.Encoding.ASCII.GetString(r.Message)));
        Assert.Equal(NetConnectionState.Connected, pair.Adapter.Connection!.State); // the TC control flow reached the adapter
        Assert.Equal(2, pair.Router.ClaimedFlows);
        Assert.Empty(pair.Client.Exceptions);
    }

    [Theory]
    [InlineData(new byte[] { (byte)'G', (byte)'C', 0x01, 0x21, 0x15 })] // "GC": this router has no group service registered (the session actor registers GroupFlowService)
    [InlineData(new byte[] { (byte)'G', (byte)'R', 0x01 })]
    [InlineData(new byte[] { (byte)'X', (byte)'Y', 0x01 })]
    [InlineData(new byte[] { (byte)'e', (byte)'c' })]
    public void A_flow_no_service_claims_is_rejected_with_a_flow_exception(byte[] metadata)
    {
        var pair = new EnginePair(new StreamRelay());
        var flow = pair.ClientSession.OpenFlow(metadata);
        flow.Write(new byte[] { 1, 2, 3 });
        pair.Run();

        var rejected = Assert.Single(pair.Client.Exceptions);
        Assert.Same(flow, rejected.Flow);
        Assert.Equal(0, pair.Router.ClaimedFlows);
    }

    [Fact]
    public void A_completed_flow_is_forgotten()
    {
        var pair = new EnginePair(new StreamRelay());
        var echo = pair.ClientSession.OpenFlow("echo"u8.ToArray());
        echo.Write("x"u8.ToArray());
        pair.Run();
        Assert.Equal(1, pair.Router.ClaimedFlows);
        echo.Close();
        pair.Run();
        Assert.Equal(0, pair.Router.ClaimedFlows);
    }

    [Fact]
    public void Echo_replies_to_a_client_that_acknowledges_nothing_stay_bounded()
    {
        // Security review finding 8: echo replies grew while the client acknowledged nothing. 10 MB sent here.
        var pair = new EnginePair(new StreamRelay());
        var echo = pair.ClientSession.OpenFlow("echo"u8.ToArray());
        echo.Write("x"u8.ToArray());
        pair.Run();
        Assert.True(pair.ServerSession.TryGetRecvFlow(echo.FlowId, out var received));
        var reply = Assert.IsType<global::Rtmfp.Engine.SendFlow>(received.Tag);
        pair.DropToClient = true;
        var message = new byte[1000];
        int peak = 0;
        for (int i = 0; i < 10_000; i++)
        {
            pair.Router.OnMessage(received, message);
            peak = Math.Max(peak, reply.QueuedFragmentCount);
            if (i % 1000 == 0)
            {
                pair.Advance(250);
            }
        }
        Assert.True(peak <= global::Rtmfp.Sessions.Flows.EchoService.MaxQueuedFragments, $"{peak} reply fragments queued");
    }
}
