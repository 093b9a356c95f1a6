namespace Rtmfp.Engine.Tests.Simulation;

/// <summary>
/// A responder session replaced mid-conversation by a new incarnation built from <see cref="Session.ExportFlows"/>
/// (what a node does when a session moves or its node died): the initiator carries on with no new flow, no flow
/// exception and no sequence number reused.
/// </summary>
public class ResumeTests
{
    private static readonly byte[] Metadata = "echo-resume"u8.ToArray();

    [Fact]
    public void A_resumed_session_takes_the_initiators_flow_and_answers_on_the_same_return_flow()
    {
        var link = new SimulatedLink(seed: 71);
        var a = link.A.Session;
        var outgoing = a.OpenFlow(Metadata);
        OpenReturnFlows(link.B);
        for (int i = 0; i < 5; i++)
        {
            outgoing.Write(new[] { (byte)i });
        }
        Assert.True(link.RunUntil(() => RepliesAtA(link) == 5 && outgoing.QueuedFragmentCount == 0, 10_000));
        ulong returnFlowId = link.A.Recorder.Opened.Single().FlowId;
        var exported = link.B.Session.ExportFlows();
        Assert.Equal(5UL, exported.ReceiveFlows.Single().SequenceNumber); // delivered through
        Assert.Equal(6UL, exported.SendFlows.Single().SequenceNumber);

        // The old incarnation answers two more before it dies; the export above does not know them.
        Reply(link.B, 100);
        Reply(link.B, 101);
        Assert.True(link.RunUntil(() => RepliesAtA(link) == 7, 10_000));

        // A message in flight when the responder dies, then the new incarnation from the export.
        link.SetBoth(p => p.Down = true);
        outgoing.Write(new byte[] { 5 });
        link.RunFor(300);
        var second = new Recorder();
        link.B.Session = new Session(SessionRole.Responder, link.A.Address, second, link.Now, SimulatedLink.Options(72));
        OpenReturnFlows(link.B, second);
        link.B.Session.Resume(exported, sequenceMargin: 1000);
        link.SetBoth(p => p.Down = false);

        outgoing.Write(new byte[] { 6 });
        Assert.True(link.RunUntil(() => second.MessageCount(outgoing.FlowId) == 2, 20_000));
        Assert.Equal([[5], [6]], second.Messages[outgoing.FlowId]);
        Reply(link.B, 102, second);
        Assert.True(link.RunUntil(() => RepliesAtA(link) == 10, 10_000));

        Assert.Single(link.A.Recorder.Opened); // the same return flow, no new one
        Assert.Equal(returnFlowId, link.A.Recorder.Opened[0].FlowId);
        Assert.Equal(102, link.A.Recorder.Messages[returnFlowId][^1][0]);
        Assert.Empty(link.A.Recorder.Exceptions);
        Assert.Equal(SessionState.Open, a.State);
        Assert.True(link.B.Session.TryGetSendFlow(returnFlowId, out var reply));
        Assert.True(reply.NextSequenceNumber > 1006, $"resumed at {reply.NextSequenceNumber}");
    }

    [Fact]
    public void What_the_first_incarnation_delivered_is_not_delivered_again_when_the_initiator_retransmits_it()
    {
        var link = new SimulatedLink(seed: 77);
        var outgoing = link.A.Session.OpenFlow(Metadata);
        OpenReturnFlows(link.B);
        outgoing.Write(new byte[] { 1 });
        Assert.True(link.RunUntil(() => RepliesAtA(link) == 1 && outgoing.QueuedFragmentCount == 0, 10_000));
        // Message 2 reaches the responder, but nothing it sends back arrives: the initiator will retransmit it.
        link.BtoA.Down = true;
        outgoing.Write(new byte[] { 2 });
        Assert.True(link.RunUntil(() => link.B.Recorder.MessageCount(outgoing.FlowId) == 2, 10_000));
        var exported = link.B.Session.ExportFlows();
        Assert.Equal(2UL, exported.ReceiveFlows.Single().SequenceNumber);

        var second = new Recorder();
        link.B.Session = new Session(SessionRole.Responder, link.A.Address, second, link.Now, SimulatedLink.Options(78));
        OpenReturnFlows(link.B, second);
        link.B.Session.Resume(exported, sequenceMargin: 1000);
        link.BtoA.Down = false;
        outgoing.Write(new byte[] { 3 });
        Assert.True(link.RunUntil(() => second.MessageCount(outgoing.FlowId) == 1 && outgoing.QueuedFragmentCount == 0, 20_000));
        link.RunFor(2_000);
        Assert.Equal([[3]], second.Messages[outgoing.FlowId]); // 2 was retransmitted and acknowledged, not delivered again
    }

    [Fact]
    public void Without_the_resume_the_new_incarnation_rejects_the_flow()
    {
        var link = new SimulatedLink(seed: 73);
        var outgoing = link.A.Session.OpenFlow(Metadata);
        OpenReturnFlows(link.B);
        outgoing.Write(new byte[] { 1 });
        Assert.True(link.RunUntil(() => RepliesAtA(link) == 1 && outgoing.QueuedFragmentCount == 0, 10_000));

        var second = new Recorder();
        link.B.Session = new Session(SessionRole.Responder, link.A.Address, second, link.Now, SimulatedLink.Options(74));
        outgoing.Write(new byte[] { 2 });
        Assert.True(link.RunUntil(() => link.A.Recorder.Exceptions.Count > 0, 20_000));
        Assert.Equal(0, second.MessageCount(outgoing.FlowId));
    }

    [Fact]
    public void Export_lists_open_flows_and_keeps_sending_flows_not_yet_taken_again()
    {
        var link = new SimulatedLink(seed: 75);
        var outgoing = link.A.Session.OpenFlow(Metadata);
        OpenReturnFlows(link.B);
        outgoing.Write(new byte[] { 1 });
        Assert.True(link.RunUntil(() => RepliesAtA(link) == 1, 10_000));
        var exported = link.B.Session.ExportFlows();
        var fresh = new Session(SessionRole.Responder, link.A.Address, new Recorder(), link.Now, SimulatedLink.Options(76));
        fresh.Resume(exported, sequenceMargin: 1 << 20);
        // Nobody opened the return flow again: a second export still carries it, with the margin applied once.
        var again = fresh.ExportFlows();
        Assert.Equal(exported.SendFlows.Single().FlowId, again.SendFlows.Single().FlowId);
        Assert.Equal(exported.SendFlows.Single().SequenceNumber + (1 << 20), again.SendFlows.Single().SequenceNumber);
        Assert.Equal(outgoing.FlowId, again.ReceiveFlows.Single().FlowId);
        Assert.Throws<InvalidOperationException>(() => fresh.Resume(exported, 1));
        // A new flow never takes a resumed ID.
        var other = fresh.OpenFlow("other"u8.ToArray());
        Assert.True(other.FlowId >= exported.NextFlowId);
    }

    [Fact]
    public void A_durable_flow_resumes_with_its_own_numbers_and_sends_what_was_not_acknowledged_once()
    {
        var link = new SimulatedLink(seed: 81);
        var outgoing = link.A.Session.OpenFlow(Metadata);
        OpenReturnFlows(link.B, durable: true);
        outgoing.Write(new byte[] { 1 });
        Assert.True(link.RunUntil(() => RepliesAtA(link) == 1, 10_000));
        // Reply 2 reaches the initiator but its acknowledgement does not come back; reply 3 is lost on the way.
        link.AtoB.Down = true;
        Reply(link.B, 2);
        Assert.True(link.RunUntil(() => RepliesAtA(link) == 2, 10_000));
        link.BtoA.Down = true;
        Reply(link.B, 3);
        link.RunFor(300);
        var exported = link.B.Session.ExportFlows();
        var durable = exported.SendFlows.Single();
        Assert.Equal(4UL, durable.SequenceNumber);
        Assert.True(durable.Acknowledged);
        Assert.Equal([2UL, 3UL], durable.Queue!.Select(f => f.SequenceNumber));

        var second = new Recorder();
        link.B.Session = new Session(SessionRole.Responder, link.A.Address, second, link.Now, SimulatedLink.Options(82));
        OpenReturnFlows(link.B, second);
        link.B.Session.Resume(exported, sequenceMargin: 1000);
        link.SetBoth(p => p.Down = false);
        Reply(link.B, 4, second);
        Assert.True(link.RunUntil(() => RepliesAtA(link) == 4, 20_000));
        link.RunFor(2_000);

        ulong returnFlowId = link.A.Recorder.Opened.Single().FlowId;
        Assert.Equal([[1], [2], [3], [4]], link.A.Recorder.Messages[returnFlowId]); // each once, in order
        Assert.True(link.B.Session.TryGetSendFlow(returnFlowId, out var reply));
        Assert.True(reply.Durable);
        Assert.Equal(5UL, reply.NextSequenceNumber); // no margin: every number it used was on record
        Assert.Equal(0, reply.QueuedFragmentCount);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_flow_that_acknowledges_only_what_it_delivered_leaves_held_messages_with_the_sender(bool deliveredOnly)
    {
        var link = new SimulatedLink(seed: 83);
        var outgoing = link.A.Session.OpenFlow(Metadata);
        link.B.Recorder.OnOpen = flow =>
        {
            flow.AcknowledgeDeliveredOnly = deliveredOnly;
            flow.SuspendDelivery();
        };
        outgoing.Write(new byte[] { 1 });
        outgoing.Write(new byte[] { 2 });
        link.RunFor(3_000);
        var inbound = link.B.Recorder.Opened.Single();
        Assert.Equal(0, link.B.Recorder.MessageCount(inbound.FlowId));
        Assert.Equal(deliveredOnly ? 2 : 0, outgoing.QueuedFragmentCount);

        inbound.ResumeDelivery();
        Assert.True(link.RunUntil(() => outgoing.QueuedFragmentCount == 0, 10_000));
        Assert.Equal([[1], [2]], link.B.Recorder.Messages[inbound.FlowId]);
    }

    private static int RepliesAtA(SimulatedLink link) =>
        link.A.Recorder.Opened.Sum(f => link.A.Recorder.MessageCount(f.FlowId));

    /// <summary>The responder answers every message on a return flow associated with the flow it came on.</summary>
    private static void OpenReturnFlows(Endpoint b, Recorder? recorder = null, bool durable = false)
    {
        var r = recorder ?? b.Recorder;
        r.OnOpen = flow =>
        {
            var reply = b.Session.OpenFlow(flow.Metadata, flow);
            reply.Durable |= durable; // a resumed durable flow stays durable
            flow.Tag = reply;
        };
        r.OnMessageReceived = (flow, message) => ((SendFlow)flow.Tag!).Write(message.ToArray());
    }

    private static void Reply(Endpoint b, byte value, Recorder? recorder = null)
    {
        var flow = (recorder ?? b.Recorder).Opened[^1];
        ((SendFlow)flow.Tag!).Write(new[] { value });
    }
}
