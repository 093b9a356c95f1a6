namespace Rtmfp.Engine.Tests.Simulation;

public class TransferTests
{
    private static readonly byte[] Metadata = "TC\x04\x00"u8.ToArray();

    [Fact]
    public void One_megabyte_message_arrives_intact_over_ten_percent_loss()
    {
        var link = new SimulatedLink(seed: 1);
        link.SetBoth(p => { p.Loss = 0.10; p.LatencyMs = 25; p.JitterMs = 10; p.BytesPerMs = 1000; });
        var message = new byte[1 << 20];
        new Random(42).NextBytes(message);
        var flow = link.A.Session.OpenFlow(Metadata);
        flow.Write(message);
        Assert.True(link.RunUntil(() => link.B.Recorder.MessageCount(flow.FlowId) == 1, 300_000));
        Assert.Equal(message, link.B.Recorder.Messages[flow.FlowId][0]);
        Assert.Equal(Metadata, link.B.Recorder.Opened[0].Metadata.ToArray());
        Assert.True(link.A.MaxPacketSize <= 1200);
        Assert.True(link.RunUntil(() => flow.QueuedFragmentCount == 0, 60_000));
        // Roughly a tenth of the ~900 fragments were lost at least once and sent again.
        Assert.InRange(link.A.Session.Retransmissions, 50, 2000);
        Assert.Equal(link.A.Session.Retransmissions, flow.RetransmittedFragments);
    }

    [Fact]
    public void A_clean_link_needs_no_retransmission()
    {
        var link = new SimulatedLink(seed: 9);
        link.SetBoth(p => { p.LatencyMs = 10; p.BytesPerMs = 5000; });
        var flow = link.A.Session.OpenFlow(Metadata);
        flow.Write(new byte[200_000]);
        Assert.True(link.RunUntil(() => link.B.Recorder.MessageCount(flow.FlowId) == 1, 60_000));
        Assert.True(link.RunUntil(() => flow.QueuedFragmentCount == 0, 60_000));
        Assert.Equal(0, link.A.Session.Retransmissions);
    }

    [Fact]
    public void Ten_thousand_small_messages_arrive_in_order_despite_loss_reordering_and_duplication()
    {
        var link = new SimulatedLink(seed: 2);
        link.SetBoth(p => { p.Loss = 0.03; p.Duplicate = 0.03; p.LatencyMs = 15; p.JitterMs = 30; p.BytesPerMs = 2000; });
        var flow = link.A.Session.OpenFlow(Metadata);
        for (int i = 0; i < 10_000; i++)
        {
            flow.Write(BitConverter.GetBytes(i));
        }
        Assert.True(link.RunUntil(() => link.B.Recorder.MessageCount(flow.FlowId) == 10_000, 300_000));
        var got = link.B.Recorder.Messages[flow.FlowId];
        for (int i = 0; i < 10_000; i++)
        {
            Assert.Equal(i, BitConverter.ToInt32(got[i]));
        }
        Assert.Empty(link.B.Recorder.Lost);
    }

    [Fact]
    public void Messages_flow_both_ways_on_associated_flows()
    {
        var link = new SimulatedLink(seed: 3);
        link.SetBoth(p => { p.Loss = 0.05; p.JitterMs = 5; });
        link.B.Recorder.OnOpen = f =>
        {
            var reply = link.B.Session.OpenFlow(Metadata, returnAssociation: f);
            reply.Write("hello back"u8.ToArray());
        };
        var flow = link.A.Session.OpenFlow(Metadata);
        flow.Write("hello"u8.ToArray());
        Assert.True(link.RunUntil(() => link.A.Recorder.Opened.Count == 1 && link.A.Recorder.MessageCount(link.A.Recorder.Opened[0].FlowId) == 1, 30_000));
        var returned = link.A.Recorder.Opened[0];
        Assert.Same(flow, returned.Association);
        Assert.Equal("hello back"u8.ToArray(), link.A.Recorder.Messages[returned.FlowId][0]);
    }

    [Fact]
    public void Abandoned_message_does_not_block_later_ones()
    {
        var link = new SimulatedLink(seed: 4);
        var flow = link.A.Session.OpenFlow(Metadata);
        flow.Write(new byte[] { 1 });
        Assert.True(link.RunUntil(() => link.B.Recorder.MessageCount(flow.FlowId) == 1, 5_000));
        link.AtoB.Down = true;
        flow.Write(new byte[3000], expiresAtMs: link.Now + 300); // partially reliable: lost while the link is down
        link.RunFor(500);
        link.AtoB.Down = false;
        flow.Write(new byte[] { 3 });
        Assert.True(link.RunUntil(() => link.B.Recorder.MessageCount(flow.FlowId) == 2, 20_000));
        Assert.Equal(new byte[] { 3 }, link.B.Recorder.Messages[flow.FlowId][1]);
        Assert.Contains(flow.FlowId, link.B.Recorder.Lost);
    }

    [Fact]
    public void Explicit_abandon_before_sending_skips_the_message()
    {
        var link = new SimulatedLink(seed: 5);
        var flow = link.A.Session.OpenFlow(Metadata);
        flow.Write(new byte[] { 1 });
        ulong handle = flow.Write(new byte[] { 2 });
        flow.Write(new byte[] { 3 });
        Assert.True(flow.Abandon(handle));
        Assert.True(link.RunUntil(() => link.B.Recorder.MessageCount(flow.FlowId) == 2, 5_000));
        Assert.Equal(new byte[] { 3 }, link.B.Recorder.Messages[flow.FlowId][1]);
    }

    [Fact]
    public void Arrival_order_delivery_hands_over_messages_as_they_complete()
    {
        var link = new SimulatedLink(seed: 6);
        link.SetBoth(p => { p.JitterMs = 40; p.Loss = 0.05; });
        link.B.Recorder.OnOpen = f => f.DeliverInArrivalOrder = true;
        var flow = link.A.Session.OpenFlow(Metadata);
        for (int i = 0; i < 300; i++)
        {
            flow.Write(BitConverter.GetBytes(i));
        }
        flow.Write(new byte[5000]);
        Assert.True(link.RunUntil(() => link.B.Recorder.MessageCount(flow.FlowId) == 301, 60_000));
        var ints = link.B.Recorder.Messages[flow.FlowId].Where(m => m.Length == 4).Select(m => BitConverter.ToInt32(m)).ToList();
        Assert.Equal(Enumerable.Range(0, 300), ints.Order());
        Assert.NotEqual(Enumerable.Range(0, 300), ints); // jitter reordered some
    }
}
