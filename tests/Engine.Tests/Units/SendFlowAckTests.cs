using static Rtmfp.Engine.Tests.Units.SendFlowQueueTests;

namespace Rtmfp.Engine.Tests.Units;

/// <summary>
/// RFC 7016 §3.6.2.4–§3.6.2.10 on a <see cref="SendFlow"/> alone: acknowledgement ranges, negative acknowledgement and
/// loss, the retransmission timeout, buffer probes of a suspended flow, the flow exception, linger and abort.
/// </summary>
public class SendFlowAckTests
{
    private static SendFlow FlowWithSent(int messages, int size = 100)
    {
        var flow = NewFlow();
        for (int i = 0; i < messages; i++)
        {
            flow.Write(new byte[10]);
            Send(flow, i, (ulong)i + 1, size);
        }
        return flow;
    }

    // §3.6.2.4 step 4: only entries that were transmitted can be acknowledged; a range reaching past the queue or an
    // acknowledgement for a number never sent acknowledges nothing more.
    [Fact]
    public void Acknowledgement_covers_only_transmitted_entries()
    {
        var flow = FlowWithSent(2);
        flow.Write(new byte[10]); // queued, never sent
        ulong maxTsn = 0;
        flow.BeginAcknowledgement(65536, 0, 1000);
        Assert.Equal(200, flow.AcknowledgeRange(0, 10, ref maxTsn));
        Assert.Equal((2UL, 0L), (maxTsn, flow.OutstandingBytes));
        flow.EndAcknowledgement(0);
        Assert.Equal(1, flow.QueuedFragmentCount);
        Assert.False(flow.Fragment(0).Acked);
        Assert.Equal(0, flow.FindEligible()); // still to be sent
        Assert.Equal(0, flow.AcknowledgeRange(1, 2, ref maxTsn)); // below the head now
    }

    [Fact]
    public void Acknowledging_the_last_entry_alone_works_and_ranges_above_the_queue_are_ignored()
    {
        var flow = FlowWithSent(3);
        ulong maxTsn = 0;
        Assert.Equal(0, flow.AcknowledgeRange(4, 9, ref maxTsn));
        Assert.Equal(100, flow.AcknowledgeRange(3, 3, ref maxTsn));
        Assert.Equal((3UL, 200L), (maxTsn, flow.OutstandingBytes));
        Assert.Equal(new[] { false, false, true }, Flags(flow, f => f.Acked));
    }

    [Fact]
    public void Acknowledgement_for_a_number_never_written_leaves_a_full_queue_alone()
    {
        var flow = FlowWithSent(64); // the queue's initial capacity: the next number would wrap onto the head
        ulong maxTsn = 0;
        Assert.Equal(0, flow.AcknowledgeRange(65, 65, ref maxTsn));
        Assert.False(flow.Fragment(0).Acked);
        Assert.Equal(64 * 100, flow.OutstandingBytes);
    }

    // §3.6.2.5: every in-flight entry sent before the highest TSN acknowledged gets one NAK per acknowledgement; the
    // third NAK declares it lost (out of flight, to be sent again). Acknowledged entries are never NAKed.
    [Fact]
    public void Third_nak_declares_loss_and_acknowledged_entries_are_never_naked()
    {
        var flow = FlowWithSent(5);
        var cc = new CongestionControl();
        for (ulong sn = 2; sn <= 5; sn++)
        {
            ulong maxTsn = 0;
            flow.BeginAcknowledgement(65536, 0, 1000);
            flow.AcknowledgeRange(sn, sn, ref maxTsn);
            flow.EndAcknowledgement(0);
            flow.ApplyNegativeAcknowledgements(maxTsn, cc);
            if (sn < 4)
            {
                Assert.Equal((int)sn - 1, flow.Fragment(0).NakCount);
                Assert.Equal(-1, flow.FindEligible()); // 1 still in flight
            }
            else if (sn == 4)
            {
                Assert.Equal(0, flow.FindEligible()); // lost: send it again
                Assert.Equal(100, flow.OutstandingBytes); // only 5
            }
        }
        Assert.Equal(0, flow.OutstandingBytes);
        Assert.Equal(new[] { false, true, true, true, true }, Flags(flow, f => f.Acked));
        Assert.Equal(new[] { false, false, false, false, false }, Flags(flow, f => f.InFlight));
    }

    [Fact]
    public void Entries_sent_in_the_same_packet_as_the_highest_acknowledged_are_not_naked()
    {
        var flow = NewFlow();
        flow.Write(new byte[10]);
        flow.Write(new byte[10]);
        flow.Write(new byte[10]);
        Send(flow, 0, tsn: 1);
        Send(flow, 1, tsn: 1);
        Send(flow, 2, tsn: 2);
        var cc = new CongestionControl();
        ulong maxTsn = 0;
        flow.AcknowledgeRange(2, 2, ref maxTsn);
        flow.ApplyNegativeAcknowledgements(maxTsn, cc);
        Assert.Equal(0, flow.Fragment(0).NakCount); // TSN 1 is not below the highest acknowledged TSN 1
        flow.AcknowledgeRange(3, 3, ref maxTsn);
        flow.ApplyNegativeAcknowledgements(maxTsn, cc);
        Assert.Equal(1, flow.Fragment(0).NakCount);
    }

    // §3.5.2.1 / Appendix A: a packet carrying a NAK does not grow the window; a loss shrinks it.
    [Fact]
    public void Naks_hold_the_window_and_a_loss_cuts_it()
    {
        var flow = FlowWithSent(5, size: 1200);
        var cc = new CongestionControl();
        for (ulong sn = 2; sn <= 4; sn++)
        {
            long before = cc.Cwnd;
            cc.BeginPacket(flow.OutstandingBytes);
            ulong maxTsn = 0;
            cc.OnAcknowledgement(flow.AcknowledgeRange(sn, sn, ref maxTsn));
            flow.ApplyNegativeAcknowledgements(maxTsn, cc);
            cc.EndPacket(100_000);
            if (sn < 4)
            {
                Assert.Equal(before, cc.Cwnd);
            }
        }
        Assert.True(cc.Ssthresh < long.MaxValue, "the third NAK was not reported as a loss");
    }

    // §3.6.2.6: the timeout takes everything out of flight; the session backs off only if something was in flight.
    [Fact]
    public void Timeout_reports_loss_only_when_something_was_in_flight()
    {
        var flow = NewFlow();
        flow.Write(new byte[10]);
        Assert.False(flow.OnTimeout());
        Send(flow, 0, 1);
        flow.Write(new byte[10]);
        Send(flow, 1, 2);
        Assert.True(flow.OnTimeout());
        Assert.Equal(0, flow.OutstandingBytes);
        Assert.Equal(0, flow.FindEligible());
        Assert.False(flow.OnTimeout());
    }

    // §3.6.2.9.1: a zero window suspends the flow; the first probe goes out one second after it closed, then with
    // exponential backoff from max(1 s, ERTO), capped at max(60 s, ERTO); an open window ends probing.
    [Fact]
    public void Suspended_flow_probes_with_backoff_until_the_window_opens()
    {
        var flow = NewFlow();
        Assert.False(flow.IsSuspended);
        flow.Write(new byte[10]);
        flow.BeginAcknowledgement(0, nowMs: 0, ertoMs: 3000);
        Assert.True(flow.IsSuspended);
        Assert.False(flow.WindowAllows);
        Assert.Equal(1000, flow.NextProbeMs);
        Assert.False(flow.TakeProbeDue(999, 3000));
        var probes = new List<long>();
        long now = 1000;
        while (now < 200_000)
        {
            Assert.True(flow.TakeProbeDue(now, 3000));
            probes.Add(now);
            Assert.False(flow.TakeProbeDue(now, 3000));
            now = flow.NextProbeMs;
        }
        Assert.Equal(new long[] { 1000, 4000, 10_000, 22_000, 46_000, 94_000, 154_000 }, probes);
        flow.BeginAcknowledgement(0, nowMs: 200_000, ertoMs: 3000); // still closed: the schedule goes on
        Assert.Equal(214_000, flow.NextProbeMs);
        flow.BeginAcknowledgement(4096, nowMs: 201_000, ertoMs: 3000);
        Assert.False(flow.IsSuspended);
        AssertNoProbe(flow, 500_000);
    }

    private static void AssertNoProbe(SendFlow flow, long laterMs)
    {
        Assert.Equal(long.MaxValue, flow.NextProbeMs);
        Assert.False(flow.TakeProbeDue(laterMs, 1000));
    }

    [Fact]
    public void The_probe_interval_never_drops_below_a_grown_erto()
    {
        var flow = NewFlow();
        flow.Write(new byte[10]);
        flow.BeginAcknowledgement(0, nowMs: 0, ertoMs: 500); // interval max(1 s, ERTO) = 1 s
        Assert.True(flow.TakeProbeDue(1000, 500));
        Assert.Equal(2000, flow.NextProbeMs);
        Assert.True(flow.TakeProbeDue(2000, 5000)); // ERTO grew to 5 s: the interval doubles to at least that
        Assert.Equal(4000, flow.NextProbeMs);
        Assert.True(flow.TakeProbeDue(4000, 5000));
        Assert.Equal(9000, flow.NextProbeMs);
    }

    [Fact]
    public void Zero_window_with_nothing_queued_sends_no_probe()
    {
        var flow = FlowWithSent(1);
        ulong maxTsn = 0;
        flow.BeginAcknowledgement(0, nowMs: 0, ertoMs: 1000);
        flow.AcknowledgeRange(1, 1, ref maxTsn);
        flow.EndAcknowledgement(0);
        Assert.True(flow.IsSuspended);
        AssertNoProbe(flow, 5_000);
    }

    // §3.6.2.10: a Flow Exception Report closes the flow, abandons everything queued, and lifts the window gate so
    // the final entry can go out.
    [Fact]
    public void Exception_closes_abandons_everything_and_ignores_the_window()
    {
        var flow = FlowWithSent(2);
        flow.Write(new byte[10]);
        flow.BeginAcknowledgement(0, nowMs: 0, ertoMs: 1000);
        Assert.True(flow.IsSuspended);
        Assert.True(flow.OnException(7));
        Assert.Equal((SendFlowState.Closing, 7UL, true), (flow.State, flow.ExceptionCode, flow.ExceptionReceived));
        Assert.Equal(new[] { true, true, true }, Flags(flow, f => f.Abandoned)); // the unsent tail became final
        Assert.Equal(3UL, flow.FinalSequenceNumber);
        Assert.False(flow.IsSuspended);
        Assert.True(flow.WindowAllows);
        Assert.Equal(long.MaxValue, flow.NextProbeMs);
        Assert.False(flow.OnException(8)); // already closing: not reported twice
        Assert.Equal(7UL, flow.ExceptionCode);
    }

    // §3.6.2.11: once everything up to the final entry is acknowledged the flow lingers 130 s, then is closed.
    [Fact]
    public void Completed_flow_lingers_exactly_130_seconds()
    {
        var flow = FlowWithSent(1);
        Assert.Equal(long.MaxValue, flow.LingerUntilMs);
        flow.Close();
        Send(flow, 1, 2);
        ulong maxTsn = 0;
        flow.AcknowledgeRange(1, 2, ref maxTsn);
        flow.EndAcknowledgement(1000);
        Assert.Equal(SendFlowState.CompleteLinger, flow.State);
        Assert.Equal(131_000, flow.LingerUntilMs);
        flow.Close(); // nothing left to close
        Assert.Equal((SendFlowState.CompleteLinger, 0), (flow.State, flow.QueuedFragmentCount));
        Assert.False(flow.CheckLinger(130_999));
        Assert.True(flow.CheckLinger(131_000));
        Assert.Equal(SendFlowState.Closed, flow.State);
    }

    // §3.5.5: a session leaving S_OPEN aborts its flows and releases their queues.
    [Fact]
    public void Abort_releases_the_queue()
    {
        var flow = FlowWithSent(3);
        flow.Abort();
        Assert.Equal((0, 0L, SendFlowState.Closed), (flow.QueuedFragmentCount, flow.OutstandingBytes, flow.State));
    }
}
