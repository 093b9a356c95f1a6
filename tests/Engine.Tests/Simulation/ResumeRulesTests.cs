using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine.Tests.Simulation;

/// <summary>
/// Session.Resume.cs rules one at a time, against a hand-written far end: which opened flow takes a resumed sending
/// flow's ID and numbers, the sequence margin and its bound, durable flows with nothing queued, and the receiving-flow
/// limit. A resumed flow never reuses a number the far end may have seen (RFC 7016 §3.6.2.3, §3.6.3.2).
/// </summary>
public class ResumeRulesTests
{
    private static readonly byte[] MetaA = "A\x01"u8.ToArray();
    private static readonly byte[] MetaB = "B\x02"u8.ToArray();

    private static List<ulong> ExportedSendIds(Session s) => s.ExportFlows().SendFlows.Select(f => f.FlowId).Order().ToList();

    [Fact]
    public void Only_a_flow_with_the_same_metadata_and_association_takes_a_resumed_id_once()
    {
        var w = new Wire();
        w.Session.Resume(new SessionResumeState([], [new FlowResumeState(7, MetaA, null, 100)], 8), sequenceMargin: 1000);
        var other = w.Session.OpenFlow(MetaB);
        Assert.Equal(8UL, other.FlowId);
        var resumed = w.Session.OpenFlow(MetaA);
        Assert.Equal(7UL, resumed.FlowId);
        Assert.Equal(1100UL, resumed.Write(new byte[1]));
        var again = w.Session.OpenFlow(MetaA);
        Assert.Equal(9UL, again.FlowId);
        Assert.Equal([7UL, 8UL, 9UL], ExportedSendIds(w.Session));
        Assert.Equal(1101UL + 1 + 1, w.Session.SendProgress()); // next numbers 1101, 1 and 1
    }

    [Fact]
    public void A_new_flow_skips_ids_still_held_by_resumed_flows()
    {
        var w = new Wire();
        w.Session.Resume(new SessionResumeState([], [new FlowResumeState(7, MetaA, null, 5)], 7), sequenceMargin: 10);
        Assert.Equal(7UL, w.Session.OpenFlow(MetaA).FlowId);
        Assert.NotEqual(7UL, w.Session.OpenFlow(MetaB).FlowId);
    }

    // The margin is not added to numbers already past half the range: they stay as exported rather than wrap.
    [Theory]
    [InlineData(ulong.MaxValue / 2 - 1000, ulong.MaxValue / 2)]
    [InlineData(ulong.MaxValue / 2 - 999, ulong.MaxValue / 2 - 999)]
    [InlineData(ulong.MaxValue / 2, ulong.MaxValue / 2)]
    public void The_sequence_margin_is_bounded(ulong exported, ulong expected)
    {
        var w = new Wire();
        w.Session.Resume(new SessionResumeState([], [new FlowResumeState(7, MetaA, null, exported)], 8), sequenceMargin: 1000);
        Assert.Equal(expected, w.Session.OpenFlow(MetaA).Write(new byte[1]));
    }

    // A durable flow exported with nothing queued goes on at its next number; an acknowledgement from before the
    // resume (below that number) acknowledges nothing new.
    [Fact]
    public void A_durable_flow_with_an_empty_queue_goes_on_at_its_next_number()
    {
        var w = new Wire();
        var durable = new FlowResumeState(7, MetaA, null, 10) { Queue = [], Acknowledged = true };
        w.Session.Resume(new SessionResumeState([], [durable], 8), sequenceMargin: 1000);
        var flow = w.Session.OpenFlow(MetaA);
        Assert.False(flow.StartupOptionsPending);
        Assert.Equal(10UL, flow.Write(new byte[1]));
        Assert.Equal([(7UL, 10UL, ChunkType.UserData)], Wire.Fragments(w.Drain()));
        w.Receive(Wire.Ack(7, 9));
        Assert.Equal(1, flow.QueuedFragmentCount);
        w.Receive(Wire.Ack(7, 10));
        Assert.Equal(0, flow.QueuedFragmentCount);
        Assert.Equal([7UL], ExportedSendIds(w.Session));
    }

    [Fact]
    public void Resumed_receiving_flows_respect_the_limit_and_are_not_duplicated()
    {
        var w = new Wire(new SessionOptions { MaxReceivingFlows = 2, MobilitySecret = new byte[16] });
        w.Session.Resume(new SessionResumeState(
            [new FlowResumeState(3, MetaA, null, 5), new FlowResumeState(3, MetaA, null, 5), new FlowResumeState(4, MetaB, null, 0), new FlowResumeState(5, MetaB, null, 0)],
            [], 1), sequenceMargin: 0);
        Assert.Equal([3UL, 4UL], w.Recorder.Opened.Select(f => f.FlowId));
        Assert.Equal(2, w.Session.RecvFlowCount);
    }

    [Fact]
    public void Resume_needs_a_new_open_session()
    {
        var w = new Wire();
        w.Session.OpenFlow(MetaA);
        Assert.Throws<InvalidOperationException>(() => w.Session.Resume(SessionResumeState.Empty, 0));
        var r = new Wire();
        r.Receive(r.Data(3, 1, [1]));
        Assert.Throws<InvalidOperationException>(() => r.Session.Resume(SessionResumeState.Empty, 0));
        var closed = new Wire();
        closed.Session.Close(0);
        Assert.Throws<InvalidOperationException>(() => closed.Session.Resume(SessionResumeState.Empty, 0));
    }
}
