using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine.Tests.Simulation;

/// <summary>
/// Data and acknowledgement rules of a session against a hand-written far end (<see cref="Wire"/>): when to
/// acknowledge (RFC 7016 §3.6.3.4.4), how fragments are packed (§2.3.11–§2.3.12, §3.6.2.3), flow and congestion
/// gates (§3.6.2.3, §3.5.2), negative acknowledgement and the timeout alarm (§3.6.2.5–§3.6.2.6).
/// </summary>
public class SessionDataTests
{
    private static int AckCount(List<Wire.SentPacket> packets) =>
        Wire.All(packets, ChunkType.DataAcknowledgementRanges).Count + Wire.All(packets, ChunkType.DataAcknowledgementBitmap).Count;

    // §3.6.3.4.4: a new flow, a gap, or every second packet with user data is acknowledged at once; a lone in-order
    // packet within 200 ms.
    [Fact]
    public void Acknowledgement_is_immediate_for_new_flows_gaps_and_second_packets_else_delayed_200_ms()
    {
        var w = new Wire();
        w.Receive(w.Data(3, 1, [1]));
        Assert.Equal(w.Now, w.Session.NextWakeupMs(w.Now));
        Assert.Equal(1, AckCount(w.Drain()));

        w.Now = 1000;
        w.Receive(w.Data(3, 2, [2]));
        Assert.Equal(1200, w.Session.NextWakeupMs(w.Now));
        Assert.Empty(w.Drain());
        w.Now = 1199;
        Assert.Empty(w.Drain());
        w.Now = 1200;
        Assert.Equal(1, AckCount(w.Drain()));

        w.Now = 2000;
        w.Receive(w.Data(3, 3, [3]));
        w.Now = 2050;
        w.Receive(w.Data(3, 4, [4]));
        Assert.Equal(1, AckCount(w.Drain()));

        w.Now = 3000;
        w.Receive(w.Data(3, 6, [6]));
        Assert.Equal(1, AckCount(w.Drain()));
    }

    // §3.6.3.4.4: pending acknowledgements ride along with data the session sends anyway.
    [Fact]
    public void A_pending_acknowledgement_rides_with_outgoing_data()
    {
        var w = new Wire();
        w.Receive(w.Data(3, 1, [1]));
        w.Drain();
        var flow = w.Session.OpenFlow(Wire.Metadata);
        w.Now = 1000;
        w.Receive(w.Data(3, 2, [2]));
        flow.Write(new byte[10]);
        var sent = Assert.Single(w.Drain());
        Assert.Equal(1, sent.Count(ChunkType.UserData));
        Assert.Equal(1, AckCount([sent]));
    }

    // §3.6.3.6: a Buffer Probe for a receiving flow is answered with its acknowledgement at once; one for a flow we do
    // not have is ignored.
    [Fact]
    public void A_buffer_probe_is_answered_at_once()
    {
        var w = new Wire();
        w.Receive(w.Data(3, 1, [1]));
        w.Drain();
        w.Now = 1000;
        w.Receive((ref WireWriter wr) => BufferProbeChunk.Write(ref wr, new BufferProbeChunk(3)));
        Assert.Equal(w.Now, w.Session.NextWakeupMs(w.Now));
        Assert.Equal(1, AckCount(w.Drain()));
        w.Receive((ref WireWriter wr) => BufferProbeChunk.Write(ref wr, new BufferProbeChunk(9)));
        Assert.Empty(w.Drain());
    }

    // §3.6.3.3: reopening a suspended receiver's window is announced at once.
    [Fact]
    public void Resumed_delivery_is_acknowledged_at_once()
    {
        var w = new Wire();
        w.Recorder.OnOpen = f => f.SuspendDelivery();
        w.Receive(w.Data(3, 1, [1]));
        w.Drain();
        Assert.True(w.Session.TryGetRecvFlow(3, out var recv));
        w.Now = 5000;
        recv.ResumeDelivery();
        Assert.Equal(w.Now, w.Session.NextWakeupMs(w.Now));
        Assert.Equal(1, AckCount(w.Drain()));
    }

    // §2.3.11–§2.3.12: the first fragment of a flow carries its options in a User Data chunk; the consecutive ones
    // that follow in the same packet are Next User Data chunks without options.
    [Fact]
    public void Consecutive_fragments_are_packed_as_next_user_data_and_options_go_once()
    {
        var w = new Wire();
        var flow = w.Session.OpenFlow(Wire.Metadata);
        flow.Write(new byte[10]);
        flow.Write(new byte[10]);
        flow.Write(new byte[10]);
        Assert.Equal(w.Now, w.Session.NextWakeupMs(w.Now));
        var sent = w.Drain();
        Assert.Equal([(flow.FlowId, 1UL, ChunkType.UserData), (flow.FlowId, 2UL, ChunkType.NextUserData), (flow.FlowId, 3UL, ChunkType.NextUserData)],
            Wire.Fragments(sent));
        Assert.True(UserDataChunk.TryRead(sent[0].Chunks[0].Payload, out var first));
        Assert.Equal(Wire.Metadata, UserDataOptions.TryRead(first.Options, out var opts) ? opts.Metadata.ToArray() : null);
        foreach (var c in Wire.All(sent, ChunkType.NextUserData))
        {
            Assert.True(NextUserDataChunk.TryRead(c.Payload, out var next));
            Assert.True(next.Options.IsEmpty);
        }
        Assert.Equal(1, w.Session.Congestion.DataPacketCount);
        Assert.Equal(w.Session.Rto.ErtoMs, w.Session.NextWakeupMs(w.Now)); // the timeout alarm
    }

    // §3.6.2.3: higher priority first; equal priorities take turns packet by packet.
    [Fact]
    public void Higher_priority_goes_first_and_equals_take_turns()
    {
        var w = new Wire();
        var low = w.Session.OpenFlow(Wire.Metadata);
        var high = w.Session.OpenFlow(Wire.Metadata);
        high.Priority = 1;
        low.Write(new byte[10]);
        high.Write(new byte[10]);
        Assert.Equal([high.FlowId, low.FlowId], Wire.Fragments(w.Drain()).Select(f => f.Flow));

        var w2 = new Wire();
        var a = w2.Session.OpenFlow(Wire.Metadata);
        var b = w2.Session.OpenFlow(Wire.Metadata);
        var c = w2.Session.OpenFlow(Wire.Metadata);
        foreach (var f in new[] { a, b, c })
        {
            f.Write(new byte[1100]);
            f.Write(new byte[1100]);
        }
        // One fragment fills a packet: the flow chosen next but left without room keeps its turn.
        var first = w2.Drain().Select(p => Wire.Fragments([p])[0].Flow).ToList();
        Assert.Equal([a.FlowId, b.FlowId, c.FlowId, a.FlowId], first);
    }

    // §2.3.12: a Next User Data chunk continues the chunk before it, so a packet never starts with one, even for the
    // flow's first number sent again once the flow is acknowledged (no startup options left to force a User Data).
    [Fact]
    public void A_retransmitted_first_fragment_opens_its_packet_with_user_data()
    {
        var w = new Wire();
        var flow = SentInPackets(w, 2);
        w.Receive(Wire.Ack(flow.FlowId, 0, 64, new SequenceRange(2, 2))); // 1 lost, 2 arrived
        Assert.False(flow.StartupOptionsPending);
        w.Now = w.Session.Rto.ErtoMs;
        var again = w.Drain();
        Assert.Equal([(flow.FlowId, 1UL, ChunkType.UserData)], Wire.Fragments(again));
    }

    // RFC 7016 §2.2.4, §3.5.2.3: packets carrying a time critical flow's data set TC and mark the session as sending TC.
    [Fact]
    public void Time_critical_data_sets_the_tc_flag()
    {
        var w = new Wire();
        var plain = w.Session.OpenFlow(Wire.Metadata);
        plain.Write(new byte[10]);
        var first = Assert.Single(w.Drain()).Header;
        Assert.False(first.TimeCritical);
        Assert.False(first.TimeCriticalReverse); // no other session heard TC (there is no tracker at all)
        Assert.False(w.Session.Congestion.TimeCriticalSent(w.Now));
        var tc = w.Session.OpenFlow(Wire.Metadata);
        tc.TimeCritical = true;
        tc.Write(new byte[10]);
        Assert.True(Assert.Single(w.Drain()).Header.TimeCritical);
        Assert.True(w.Session.Congestion.TimeCriticalSent(w.Now));
    }

    // §3.5.2.3: TCR from the far end stops fast window growth for 800 ms; TC from it is shared with other sessions.
    [Fact]
    public void Received_tc_and_tcr_flags_are_recorded()
    {
        var tracker = new TimeCriticalTracker();
        var w = new Wire(tracker: tracker);
        var other = new object();
        w.Now = 1000;
        w.Receive(null, timeCritical: false, timeCriticalReverse: true, Wire.PingReply([]));
        Assert.False(w.Session.Congestion.FastGrowAllowed(1799));
        Assert.True(w.Session.Congestion.FastGrowAllowed(1800));
        Assert.False(tracker.OtherReceivedWithin(other, 1000));
        w.Receive(null, timeCritical: true, timeCriticalReverse: false, Wire.PingReply([]));
        Assert.True(tracker.OtherReceivedWithin(other, 1000));
        var flow = w.Session.OpenFlow(Wire.Metadata);
        flow.Write(new byte[1]);
        Assert.False(Assert.Single(w.Drain()).Header.TimeCriticalReverse); // TC heard by this session only
        tracker.OnTimeCriticalReceived(other, 1000);
        flow.Write(new byte[1]);
        Assert.True(Assert.Single(w.Drain()).Header.TimeCriticalReverse); // TC heard by another session
    }

    // §3.6.2.3: a flow sends while its outstanding bytes are below the receiver's window and the session's below
    // CWND: at most one fragment beyond either, even inside one packet.
    [Fact]
    public void Neither_the_receive_window_nor_cwnd_is_overrun_within_a_packet()
    {
        var w = new Wire();
        var flow = SentInPackets(w, 1);
        w.Receive(Wire.Ack(flow.FlowId, 1, blocks: 1)); // window: one 1024-byte block
        for (int i = 0; i < 40; i++)
        {
            flow.Write(new byte[50]);
        }
        w.Drain();
        Assert.InRange(flow.OutstandingBytes, 1024, 1024 + 60);
        Assert.True(w.Session.NextWakeupMs(w.Now) > w.Now); // window closed: nothing to wake for

        var w2 = new Wire();
        var f2 = w2.Session.OpenFlow(Wire.Metadata);
        for (int i = 0; i < 200; i++)
        {
            f2.Write(new byte[50]);
        }
        w2.Drain();
        long cwnd = w2.Session.Congestion.Cwnd;
        Assert.InRange(w2.Session.OutstandingBytes, cwnd, cwnd + 60);
        Assert.True(w2.Session.NextWakeupMs(w2.Now) > w2.Now); // CWND full: nothing to wake for
    }

    [Fact]
    public void An_enormous_advertised_window_is_not_read_as_zero()
    {
        var w = new Wire();
        var flow = SentInPackets(w, 1);
        w.Receive(Wire.Ack(flow.FlowId, 1, blocks: 1UL << 62));
        Assert.Equal(long.MaxValue, flow.RxBufferSize);
        Assert.False(flow.IsSuspended);
    }

    /// <summary>A new flow with <paramref name="count"/> messages sent, one packet each (TSN 1, 2, ...).</summary>
    private static SendFlow SentInPackets(Wire w, int count, int size = 10)
    {
        var flow = w.Session.OpenFlow(Wire.Metadata);
        for (int i = 0; i < count; i++)
        {
            flow.Write(new byte[size]);
            Assert.Single(w.Drain());
        }
        return flow;
    }

    // §3.6.2.5: every acknowledgement chunk of a packet counts, and the packet's NAKs are applied once after them.
    [Fact]
    public void A_packet_with_two_acknowledgement_chunks_still_naks_what_was_skipped()
    {
        var w = new Wire();
        var flow = SentInPackets(w, 4);
        w.Receive(Wire.Ack(flow.FlowId, 0, 64, new SequenceRange(2, 2)), Wire.Ack(flow.FlowId, 0, 64, new SequenceRange(2, 2)));
        Assert.Equal(1, flow.Fragment(0).NakCount);
        w.Receive(Wire.Ack(flow.FlowId, 0, 64, new SequenceRange(2, 3)));
        Assert.Equal(2, flow.Fragment(0).NakCount);
        w.Receive(Wire.Bitmap(flow.FlowId, 0, new SequenceRange(2, 4)), Wire.Bitmap(flow.FlowId, 0, new SequenceRange(2, 4)));
        Assert.Equal(3, flow.Fragment(0).NakCount); // bitmap chunks count alike: the third NAK
        Assert.False(flow.Fragment(0).InFlight); // declares it lost
    }

    // Appendix A, Figure 25: acknowledged bytes from every range (not just the cumulative part) grow the window.
    [Fact]
    public void Bytes_acknowledged_by_ranges_grow_the_window_in_slow_start()
    {
        var w = new Wire();
        var flow = w.Session.OpenFlow(Wire.Metadata);
        flow.Write(new byte[1100]);
        ulong skipped = flow.Write(new byte[10]);
        for (int i = 0; i < 3; i++)
        {
            flow.Write(new byte[1100]);
        }
        flow.Abandon(skipped); // never sent: the hole below the range holds nothing in flight to NAK
        Assert.Equal(4, w.Drain().Count);
        Assert.True(w.Session.OutstandingBytes >= CongestionControl.CwndInit);
        w.Receive(Wire.Ack(flow.FlowId, 1, 64, new SequenceRange(3, 5)));
        Assert.Equal(0, w.Session.OutstandingBytes);
        Assert.Equal(CongestionControl.CwndInit + CongestionControl.Smss, w.Session.Congestion.Cwnd);
    }

    // §3.6.2.6: an acknowledgement pushes the timeout alarm back by ERTO; one for an unknown flow does not. When it
    // fires with data in flight ERTO backs off and CWND collapses; with nothing in flight neither happens.
    [Fact]
    public void Acknowledgements_push_the_timeout_alarm_back_and_it_backs_off_only_on_loss()
    {
        var w = new Wire();
        var flow = SentInPackets(w, 4);
        int erto = w.Session.Rto.ErtoMs;
        Assert.Equal(erto, w.Session.NextWakeupMs(w.Now));
        w.Now = 1000;
        w.Receive(Wire.Ack(99, 1));
        Assert.Equal(erto, w.Session.NextWakeupMs(w.Now));
        w.Now = 2000;
        w.Receive(Wire.Ack(flow.FlowId, 1));
        Assert.Equal(2000 + erto, w.Session.NextWakeupMs(w.Now));
        w.Now = 2000 + erto;
        w.Drain();
        Assert.True(w.Session.Rto.ErtoMs > erto);
        Assert.Equal(CongestionControl.CwndTimedOut, w.Session.Congestion.Cwnd);

        var idle = new Wire();
        var f2 = SentInPackets(idle, 4);
        idle.Now = 100;
        idle.Receive(Wire.Ack(f2.FlowId, 4));
        idle.Now = 100 + erto;
        idle.Drain();
        Assert.Equal(erto, idle.Session.Rto.ErtoMs);
        Assert.Equal(CongestionControl.CwndInit, idle.Session.Congestion.Cwnd);
    }

    [Fact]
    public void Timeout_with_two_flows_in_flight_backs_off_once()
    {
        var w = new Wire();
        var a = w.Session.OpenFlow(Wire.Metadata);
        var b = w.Session.OpenFlow(Wire.Metadata);
        a.Write(new byte[10]);
        b.Write(new byte[10]);
        w.Drain();
        int erto = w.Session.Rto.ErtoMs;
        w.Now = erto;
        w.Drain();
        Assert.True(w.Session.Rto.ErtoMs > erto);
    }

    // Chunks the engine does not handle itself (e.g. a Forwarded IHello, RFC 7016 §3.5.1.5) go to the host.
    [Fact]
    public void Other_chunks_are_handed_to_the_host()
    {
        var w = new Wire();
        w.Receive(Wire.Raw(ChunkType.FIHello, [1, 2, 3]));
        Assert.Equal((byte)ChunkType.FIHello, Assert.Single(w.Recorder.OtherChunks).Type);
    }

    // §3.6.3.1: beyond the receiving-flow limit, or with unreadable options, a new flow's chunk is ignored.
    [Fact]
    public void New_flows_beyond_the_limit_or_with_unreadable_options_are_ignored()
    {
        var w = new Wire(new SessionOptions { MaxReceivingFlows = 1, MobilitySecret = new byte[16] });
        w.Receive(w.Data(3, 1, [1]));
        w.Receive(w.Data(4, 1, [1]));
        Assert.True(w.Session.TryGetRecvFlow(3, out _));
        Assert.False(w.Session.TryGetRecvFlow(4, out _));
        Assert.Equal(1, w.Recorder.MessageCount(3));

        var w2 = new Wire();
        byte[] twoAssociations = [0x02, 0x0A, 0x01, 0x02, 0x0A, 0x01, 0x00];
        w2.Receive((ref WireWriter wr) => UserDataChunk.Write(ref wr,
            new UserDataChunk(UserDataFlagBits.Create(FragmentControl.Whole), 5, 1, 1, twoAssociations, [1])));
        Assert.False(w2.Session.TryGetRecvFlow(5, out _));
        Assert.Empty(w2.Recorder.Opened);
    }
}
