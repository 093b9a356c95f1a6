using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine.Tests.Simulation;

public class SessionTests
{
    private static readonly byte[] Metadata = "TC\x04\x00"u8.ToArray();

    [Fact]
    public void Retransmission_timeout_backs_off_and_collapses_the_window()
    {
        var link = new SimulatedLink(seed: 10);
        var a = link.A.Session;
        var flow = a.OpenFlow(Metadata);
        flow.Write(new byte[100]);
        Assert.True(link.RunUntil(() => link.B.Recorder.MessageCount(flow.FlowId) == 1, 5_000));
        Assert.True(link.RunUntil(() => flow.QueuedFragmentCount == 0, 5_000));
        int erto = a.Rto.ErtoMs;
        Assert.True(erto >= RetransmissionTimeout.MinErtoMs && erto < 1000, $"ERTO {erto}");
        link.SetBoth(p => p.Down = true);
        flow.Write(new byte[100]);
        var seen = new List<int>();
        link.RunUntil(() =>
        {
            if (seen.Count == 0 || seen[^1] != a.Rto.ErtoMs)
            {
                seen.Add(a.Rto.ErtoMs);
            }
            return a.Rto.ErtoMs == RetransmissionTimeout.MaxBackoffErtoMs;
        }, 60_000);
        Assert.Equal(RetransmissionTimeout.MaxBackoffErtoMs, a.Rto.ErtoMs);
        for (int i = 1; i < seen.Count; i++)
        {
            Assert.True(seen[i] > seen[i - 1]);
            Assert.True(seen[i] <= Math.Max(seen[i - 1] * 1.4143, a.Rto.MrtoMs) || seen[i] == RetransmissionTimeout.MaxBackoffErtoMs);
        }
        Assert.Equal(CongestionControl.CwndTimedOut, a.Congestion.Cwnd);
        link.SetBoth(p => p.Down = false);
        Assert.True(link.RunUntil(() => link.B.Recorder.MessageCount(flow.FlowId) == 2, 30_000));
    }

    [Fact]
    public void Window_grows_in_slow_start_and_drops_on_loss()
    {
        var link = new SimulatedLink(seed: 11);
        link.SetBoth(p => { p.LatencyMs = 30; p.BytesPerMs = 500; p.QueueLimitBytes = 30_000; });
        link.B.Recorder.OnOpen = f => f.BufferCapacity = 1 << 22;
        var a = link.A.Session;
        var flow = a.OpenFlow(Metadata);
        flow.Write(new byte[3 << 20]);
        long max = 0;
        bool sawDrop = false;
        long prev = a.Congestion.Cwnd;
        link.RunUntil(() =>
        {
            long c = a.Congestion.Cwnd;
            max = Math.Max(max, c);
            if (c < prev && prev > 20_000 && c >= prev * 7 / 16 && c <= prev * 7 / 8 + 1)
            {
                sawDrop = true;
            }
            prev = c;
            return sawDrop;
        }, 120_000);
        Assert.True(max > 4 * CongestionControl.CwndInit, $"max cwnd {max}");
        Assert.True(sawDrop, "cwnd never cut on loss");
        Assert.True(a.Congestion.Ssthresh < long.MaxValue);
    }

    [Fact]
    public void Ack_ranges_describe_exactly_what_arrived()
    {
        var b = new Session(SessionRole.Responder, SimulatedLink.Addr(1), new Recorder(), 0, SimulatedLink.Options(1));
        var from = SimulatedLink.Addr(1);
        var buf = new byte[1200];
        foreach (ulong sn in new ulong[] { 1, 2, 3, 5, 6, 9 })
        {
            var w = new WireWriter(buf);
            new PacketHeader(PacketMode.InitiatorMark, timestamp: 1).Write(ref w);
            byte[] opts = new byte[16];
            int n = UserDataOptions.Write(opts, Metadata, null);
            UserDataChunk.Write(ref w, new UserDataChunk(UserDataFlagBits.Create(FragmentControl.Whole), 7, sn, sn, opts[..n], new byte[] { (byte)sn }));
            b.Receive(buf.AsSpan(0, w.Position), from, 10);
        }
        Assert.True(b.TryBuildPacket(buf, 10, out int len, out _));
        Assert.True(PlainPacket.TryRead(buf.AsSpan(0, len), out var header, out var chunks));
        Assert.Equal(PacketMode.ResponderMark, header.Mode);
        Assert.True(header.HasTimestampEcho);
        var acked = new List<SequenceRange>();
        ulong blocks = 0;
        foreach (var c in chunks)
        {
            if (c.Type == ChunkType.DataAcknowledgementRanges)
            {
                Assert.True(DataAckRangesChunk.TryRead(c.Payload, out var r));
                Assert.Equal(7UL, r.FlowId);
                blocks = r.BufferBlocksAvailable;
                acked.Add(new SequenceRange(0, r.CumulativeAck));
                foreach (var x in r.GetRanges())
                {
                    acked.Add(x);
                }
            }
            else if (c.Type == ChunkType.DataAcknowledgementBitmap)
            {
                Assert.True(DataAckBitmapChunk.TryRead(c.Payload, out var r));
                blocks = r.BufferBlocksAvailable;
                acked.Add(new SequenceRange(0, r.CumulativeAck));
                foreach (var x in r.GetRanges())
                {
                    acked.Add(x);
                }
            }
        }
        Assert.Equal(new[] { new SequenceRange(0, 3), new SequenceRange(5, 6), new SequenceRange(9, 9) }, acked);
        Assert.True(blocks >= 60);
    }

    [Fact]
    public void Flow_close_completes_at_both_ends_and_ids_linger()
    {
        var link = new SimulatedLink(seed: 12);
        link.SetBoth(p => p.Loss = 0.1);
        var flow = link.A.Session.OpenFlow(Metadata);
        flow.Write(new byte[] { 1 });
        flow.Write(new byte[2500]);
        flow.Close();
        Assert.Equal(0UL, flow.Write(new byte[] { 9 }));
        Assert.True(link.RunUntil(() => link.B.Recorder.Completed.Contains(flow.FlowId) && flow.State == SendFlowState.CompleteLinger, 30_000));
        Assert.Equal(2, link.B.Recorder.MessageCount(flow.FlowId));
        Assert.True(link.B.Session.TryGetRecvFlow(flow.FlowId, out var rf));
        Assert.Equal(RecvFlowState.CompleteLinger, rf.State);
        link.SetBoth(p => p.Loss = 0);
        link.RunFor(SendFlow.CompleteLingerMs + 1000);
        Assert.Equal(SendFlowState.Closed, flow.State);
        Assert.False(link.A.Session.TryGetSendFlow(flow.FlowId, out _));
        Assert.False(link.B.Session.TryGetRecvFlow(flow.FlowId, out _));
        Assert.Equal(SessionState.Open, link.A.Session.State); // keepalives kept it alive
    }

    [Fact]
    public void Rejected_flow_reports_an_exception_to_the_sender()
    {
        var link = new SimulatedLink(seed: 13);
        link.B.Recorder.OnOpen = f => f.Reject(5);
        var flow = link.A.Session.OpenFlow(Metadata);
        flow.Write(new byte[] { 1 });
        flow.Write(new byte[] { 2 });
        Assert.True(link.RunUntil(() => link.A.Recorder.Exceptions.Count == 1 && flow.State == SendFlowState.CompleteLinger, 10_000));
        Assert.Equal((flow.FlowId, 5UL), link.A.Recorder.Exceptions[0]);
        Assert.Equal(0, link.B.Recorder.MessageCount(flow.FlowId));
    }

    [Fact]
    public void Flow_without_metadata_or_with_bad_association_is_rejected_automatically()
    {
        var b = new Session(SessionRole.Responder, SimulatedLink.Addr(1), new Recorder(), 0, SimulatedLink.Options(1));
        var buf = new byte[1200];
        var w = new WireWriter(buf);
        new PacketHeader(PacketMode.InitiatorMark).Write(ref w);
        UserDataChunk.Write(ref w, new UserDataChunk(UserDataFlagBits.Create(FragmentControl.Whole), 3, 1, 1, default, new byte[] { 1 }));
        byte[] opts = new byte[16];
        int n = UserDataOptions.Write(opts, Metadata, 99); // names a sending flow we do not have
        UserDataChunk.Write(ref w, new UserDataChunk(UserDataFlagBits.Create(FragmentControl.Whole), 4, 1, 1, opts[..n], new byte[] { 1 }));
        b.Receive(buf.AsSpan(0, w.Position), SimulatedLink.Addr(1), 5);
        Assert.True(b.TryGetRecvFlow(3, out var f3));
        Assert.True(b.TryGetRecvFlow(4, out var f4));
        Assert.Equal(RecvFlowState.Rejected, f3.State);
        Assert.Equal(RecvFlowState.Rejected, f4.State);
        Assert.True(b.TryBuildPacket(buf, 5, out int len, out _));
        var types = new List<ChunkType>();
        Assert.True(PlainPacket.TryRead(buf.AsSpan(0, len), out _, out var chunks));
        foreach (var c in chunks)
        {
            types.Add(c.Type);
        }
        Assert.Equal(ChunkType.FlowExceptionReport, types[0]);
        Assert.Equal(2, types.Count(t => t == ChunkType.FlowExceptionReport));
    }

    [Fact]
    public void Zero_window_suspends_the_sender_which_probes_until_it_reopens()
    {
        var link = new SimulatedLink(seed: 14);
        RecvFlow? rf = null;
        link.B.Recorder.OnOpen = f =>
        {
            rf = f;
            f.BufferCapacity = 4096;
            f.SuspendDelivery();
        };
        var flow = link.A.Session.OpenFlow(Metadata);
        for (int i = 0; i < 20; i++)
        {
            flow.Write(new byte[1000]);
        }
        link.RunFor(5_000);
        Assert.True(flow.IsSuspended);
        Assert.Equal(0, link.B.Recorder.MessageCount(flow.FlowId));
        int sentBefore = link.A.PacketsSent;
        link.RunFor(10_000);
        Assert.InRange(link.A.PacketsSent - sentBefore, 1, 6); // probes back off: a few, not a flood
        rf!.ResumeDelivery();
        Assert.True(link.RunUntil(() => link.B.Recorder.MessageCount(flow.FlowId) == 20, 60_000));
    }

    [Fact]
    public void Orderly_close_handshake()
    {
        var link = new SimulatedLink(seed: 15);
        var flow = link.A.Session.OpenFlow(Metadata);
        flow.Write(new byte[] { 1 });
        Assert.True(link.RunUntil(() => link.B.Recorder.MessageCount(flow.FlowId) == 1, 5_000));
        link.A.Session.Close(link.Now);
        Assert.Equal(SessionState.NearClose, link.A.Session.State);
        Assert.Equal(SendFlowState.Closed, flow.State);
        Assert.True(link.RunUntil(() => link.A.Session.State == SessionState.Closed, 5_000));
        Assert.Equal(SessionState.FarCloseLinger, link.B.Session.State);
        link.RunFor(Session.FarCloseLingerMs + 100);
        Assert.Equal(SessionState.Closed, link.B.Session.State);
        Assert.Equal(new[] { SessionState.FarCloseLinger, SessionState.Closed }, link.B.Recorder.States);
        // Why each end left S_OPEN (the node logs it): A closed, B heard A's Close Request.
        Assert.Equal(SessionCloseCause.Local, link.A.Session.CloseCause);
        Assert.Equal(SessionCloseCause.FarClose, link.B.Session.CloseCause);
    }

    [Fact]
    public void Close_request_is_retransmitted_and_near_close_times_out()
    {
        var link = new SimulatedLink(seed: 16);
        link.AtoB.Down = true;
        int before = link.A.PacketsSent;
        link.A.Session.Close(link.Now);
        link.RunFor(30_000);
        Assert.Equal(SessionState.NearClose, link.A.Session.State);
        Assert.InRange(link.A.PacketsSent - before, 6, 8); // at 0, 5, 10, ... 30 s
        link.RunFor(Session.NearCloseTimeoutMs);
        Assert.Equal(SessionState.Closed, link.A.Session.State);
    }

    [Fact]
    public void Keepalives_hold_an_idle_session_and_silence_times_it_out()
    {
        var link = new SimulatedLink(seed: 17);
        link.RunFor(100_000);
        Assert.Equal(SessionState.Open, link.A.Session.State);
        Assert.Equal(SessionState.Open, link.B.Session.State);
        Assert.True(link.A.PacketsSent > 3);
        Assert.Equal(SessionCloseCause.None, link.A.Session.CloseCause);
        link.BtoA.Down = true;
        link.RunFor(new SessionOptions().IdleTimeoutMs + 1000);
        Assert.Equal(SessionState.Closed, link.A.Session.State);
        Assert.Equal(SessionCloseCause.IdleTimeout, link.A.Session.CloseCause);
    }

    [Fact]
    public void Address_change_is_confirmed_by_a_mobility_ping_before_the_session_moves()
    {
        var link = new SimulatedLink(seed: 18);
        var flow = link.A.Session.OpenFlow(Metadata);
        flow.Write(new byte[] { 1 });
        Assert.True(link.RunUntil(() => link.B.Recorder.MessageCount(flow.FlowId) == 1, 5_000));
        var moved = SimulatedLink.Addr(1001);
        link.A.Address = moved; // NAT rebinding: A now sends from (and is reachable at) a new port
        flow.Write(new byte[] { 2 });
        Assert.True(link.RunUntil(() => link.B.Recorder.AddressChanges.Count == 1, 5_000));
        Assert.Equal(moved, link.B.Session.FarAddress);
        flow.Write(new byte[] { 3 });
        Assert.True(link.RunUntil(() => link.B.Recorder.MessageCount(flow.FlowId) == 3 && flow.QueuedFragmentCount == 0, 10_000));
    }

    [Fact]
    public void Packet_from_an_address_that_cannot_answer_does_not_move_the_session()
    {
        var link = new SimulatedLink(seed: 19);
        link.RunFor(100);
        var b = link.B.Session;
        var original = b.FarAddress;
        var buf = new byte[64];
        var w = new WireWriter(buf);
        new PacketHeader(PacketMode.InitiatorMark).Write(ref w);
        PingChunk.Write(ref w, new PingChunk(default));
        b.Receive(buf.AsSpan(0, w.Position), SimulatedLink.Addr(6666), link.Now); // nobody lives there
        link.RunFor(3_000);
        Assert.Equal(original, b.FarAddress);
        Assert.Empty(link.B.Recorder.AddressChanges);
    }

    [Fact]
    public void Ping_is_answered_with_an_identical_reply_and_own_mode_packets_are_ignored()
    {
        var b = new Session(SessionRole.Responder, SimulatedLink.Addr(1), new Recorder(), 0, SimulatedLink.Options(1));
        var buf = new byte[1200];
        var w = new WireWriter(buf);
        new PacketHeader(PacketMode.ResponderMark).Write(ref w); // our own mode: a reflection
        PingChunk.Write(ref w, new PingChunk("x"u8));
        b.Receive(buf.AsSpan(0, w.Position), SimulatedLink.Addr(1), 1);
        Assert.False(b.TryBuildPacket(buf, 1, out _, out _));
        w = new WireWriter(buf);
        new PacketHeader(PacketMode.InitiatorMark, timestamp: 77).Write(ref w);
        PingChunk.Write(ref w, new PingChunk("probe"u8));
        b.Receive(buf.AsSpan(0, w.Position), SimulatedLink.Addr(1), 1);
        Assert.True(b.TryBuildPacket(buf, 9, out int len, out _));
        Assert.True(PlainPacket.TryRead(buf.AsSpan(0, len), out var header, out var chunks));
        Assert.Equal((ushort)(77 + 2), header.TimestampEcho);
        Assert.True(chunks.MoveNext());
        Assert.Equal(ChunkType.PingReply, chunks.Current.Type);
        Assert.Equal("probe"u8.ToArray(), chunks.Current.Payload.ToArray());
    }

    [Fact]
    public void Random_garbage_never_throws()
    {
        var rng = new Random(20);
        // Garbage may close a session (a Close Acknowledgement chunk closes it, RFC 7016 §3.5.5): the next input then
        // goes to a fresh one, so that every input meets an open session's chunk and flow code.
        var recorders = new List<Recorder>();
        Session NewSession()
        {
            recorders.Add(new Recorder());
            return new Session(SessionRole.Responder, SimulatedLink.Addr(1), recorders[^1], 0, SimulatedLink.Options(1));
        }
        var b = NewSession();
        var buf = new byte[1200];
        var outBuf = new byte[1200];
        var template = new byte[200];
        var w = new WireWriter(template);
        new PacketHeader(PacketMode.InitiatorMark, timestamp: 5, timestampEcho: 3).Write(ref w);
        byte[] opts = new byte[16];
        int n = UserDataOptions.Write(opts, Metadata, null);
        UserDataChunk.Write(ref w, new UserDataChunk(UserDataFlagBits.Create(FragmentControl.Begin), 1, 1, 1, opts[..n], new byte[] { 1, 2 }));
        NextUserDataChunk.Write(ref w, new NextUserDataChunk(UserDataFlagBits.Create(FragmentControl.End), default, new byte[] { 3 }));
        DataAckRangesChunk.Write(ref w, 1, 10, 5, new[] { new SequenceRange(8, 9) });
        int tlen = w.Position;
        for (int i = 0; i < 20_000; i++)
        {
            int len;
            if (i % 2 == 0)
            {
                len = rng.Next(0, 300);
                rng.NextBytes(buf.AsSpan(0, len));
                buf[0] = (byte)((buf[0] & ~3) | 1);
            }
            else
            {
                template.AsSpan(0, tlen).CopyTo(buf);
                len = tlen;
                for (int k = 0; k < 3; k++)
                {
                    buf[rng.Next(1, tlen)] = (byte)rng.Next(256);
                }
            }
            if (b.State == SessionState.Closed)
            {
                b = NewSession();
            }
            b.Receive(buf.AsSpan(0, len), SimulatedLink.Addr(1), i);
            while (b.TryBuildPacket(outBuf, i, out _, out _))
            {
            }
        }
        int opened = recorders.Sum(r => r.Opened.Count), delivered = recorders.Sum(r => r.Messages.Values.Sum(m => m.Count));
        TestContext.Current.TestOutputHelper?.WriteLine($"{recorders.Count} sessions, {opened} flows opened, {delivered} messages delivered");
        // The inputs got past the packet header into the chunks: the mutated packets open flows and deliver messages
        // (seed 20: 126 and 100; the template's flow and sequence numbers repeat, so most copies are duplicates), and
        // some input closed a session (so the loop above went on with a new one rather than a closed session).
        Assert.True(opened >= 50 && delivered >= 50, $"{opened} flows opened, {delivered} messages delivered");
        Assert.True(recorders.Count > 1, "no input closed a session");
        Assert.All(recorders.SkipLast(1), r => Assert.Equal(SessionState.Closed, r.States[^1]));
    }
}
