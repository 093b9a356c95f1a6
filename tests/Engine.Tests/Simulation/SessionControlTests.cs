using System.Buffers.Binary;
using System.Security.Cryptography;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine.Tests.Simulation;

/// <summary>
/// Session control rules against a hand-written far end (<see cref="Wire"/>): orderly and abrupt close (RFC 7016
/// §3.5.5), keepalive and idle timeout (§3.5.4.1), Ping/Ping Reply (§2.3.9–§2.3.10) and address mobility (§3.5.4.2),
/// each to the millisecond.
/// </summary>
public class SessionControlTests
{
    /// <summary>Drains at every wakeup the session asks for until <paramref name="until"/>; returns (time, packet).</summary>
    private static List<(long At, Wire.SentPacket Packet)> RunUntil(Wire w, long until)
    {
        var sent = new List<(long, Wire.SentPacket)>();
        while (true)
        {
            foreach (var p in w.Drain())
            {
                sent.Add((w.Now, p));
            }
            long next = w.Session.NextWakeupMs(w.Now);
            Assert.True(next > w.Now, $"wakeup {next} at {w.Now} with nothing to send");
            if (next > until)
            {
                w.Now = until;
                foreach (var p in w.Drain())
                {
                    sent.Add((w.Now, p));
                }
                return sent;
            }
            w.Now = next;
        }
    }

    private static Wire WithFlows()
    {
        var w = new Wire();
        w.Receive(w.Data(3, 1, [1]));
        w.Session.OpenFlow(Wire.Metadata).Write(new byte[10]);
        w.Drain();
        return w;
    }

    // §3.5.5: S_NEARCLOSE sends a Close Request now and every 5 s, and gives up after 90 s; flows are aborted.
    [Fact]
    public void Orderly_close_repeats_the_request_every_five_seconds_for_ninety()
    {
        var w = WithFlows();
        var send = w.Session.OpenFlow(Wire.Metadata);
        Assert.True(w.Session.TryGetRecvFlow(3, out var recv));
        long flowChanges = w.Session.FlowChanges;
        w.Now = 1000;
        w.Session.Close(w.Now);
        Assert.Equal((SessionState.NearClose, SessionCloseCause.Local), (w.Session.State, w.Session.CloseCause));
        Assert.Equal((0, 0), (w.Session.SendFlowCount, w.Session.RecvFlowCount));
        Assert.Equal((SendFlowState.Closed, RecvFlowState.Closed), (send.State, recv.State));
        Assert.True(w.Session.FlowChanges > flowChanges);
        Assert.Throws<InvalidOperationException>(() => w.Session.OpenFlow(Wire.Metadata));
        Assert.Equal(w.Now, w.Session.NextWakeupMs(w.Now));
        var sent = RunUntil(w, 100_000);
        var requests = sent.Where(s => s.Packet.Types.SequenceEqual([ChunkType.SessionCloseRequest])).Select(s => s.At).ToList();
        Assert.Equal(sent.Count, requests.Count);
        Assert.Equal(Enumerable.Range(0, 18).Select(i => 1000 + 5000L * i), requests);
        var late = new Wire();
        late.Session.Close(0);
        late.Now = 89_999;
        late.Drain();
        Assert.Equal(SessionState.NearClose, late.Session.State);
        late.Now = 90_000;
        late.Drain();
        Assert.Equal(SessionState.Closed, late.Session.State);
        Assert.Equal(SessionState.Closed, w.Session.State);
        Assert.Equal(long.MaxValue, w.Session.NextWakeupMs(w.Now));
        w.Session.Close(w.Now);
        Assert.Equal(SessionState.Closed, w.Session.State);
        Assert.Empty(w.Drain());
    }

    // §3.5.5: an abort sends one Close Acknowledgement and nothing more.
    [Fact]
    public void Abort_sends_a_single_close_acknowledgement()
    {
        var w = WithFlows();
        var send = w.Session.OpenFlow(Wire.Metadata);
        w.Session.Abort();
        Assert.Equal((SessionState.Closed, SessionCloseCause.LocalAbort), (w.Session.State, w.Session.CloseCause));
        Assert.Equal((0, SendFlowState.Closed), (w.Session.SendFlowCount, send.State));
        Assert.Equal(w.Now, w.Session.NextWakeupMs(w.Now));
        var sent = w.Drain();
        Assert.Single(sent);
        Assert.Equal([ChunkType.SessionCloseAcknowledgement], sent[0].Types);
        Assert.Equal(long.MaxValue, w.Session.NextWakeupMs(w.Now));
        w.Session.Abort();
        Assert.Empty(w.Drain());
    }

    // §3.5.5: a Close Request from S_OPEN is acknowledged (never answered with a request), flows are aborted and the
    // session lingers 19 s in S_FARCLOSE_LINGER, acknowledging repeated requests.
    [Fact]
    public void Far_close_request_is_acknowledged_and_lingers_nineteen_seconds()
    {
        var w = WithFlows();
        var send = w.Session.OpenFlow(Wire.Metadata);
        w.Now = 1000;
        w.Receive(Wire.CloseRequest());
        Assert.Equal((SessionState.FarCloseLinger, SessionCloseCause.FarClose), (w.Session.State, w.Session.CloseCause));
        Assert.Equal((0, 0, SendFlowState.Closed), (w.Session.SendFlowCount, w.Session.RecvFlowCount, send.State));
        Assert.Equal(w.Now, w.Session.NextWakeupMs(w.Now));
        var sent = w.Drain();
        Assert.Single(sent);
        Assert.Equal([ChunkType.SessionCloseAcknowledgement], sent[0].Types);
        Assert.Equal(20_000, w.Session.NextWakeupMs(w.Now));
        w.Now = 5000;
        w.Receive(Wire.CloseRequest());
        Assert.Equal([ChunkType.SessionCloseAcknowledgement], Assert.Single(w.Drain()).Types);
        w.Now = 19_999;
        Assert.Empty(w.Drain());
        Assert.Equal(SessionState.FarCloseLinger, w.Session.State);
        w.Now = 20_000;
        Assert.Empty(w.Drain());
        Assert.Equal(SessionState.Closed, w.Session.State);
    }

    // §2.3.18: a Close Acknowledgement closes at once; the rest of its packet is not processed.
    [Fact]
    public void Far_close_acknowledgement_closes_and_ends_the_packet()
    {
        var w = WithFlows();
        var send = w.Session.OpenFlow(Wire.Metadata);
        w.Receive(Wire.CloseAck(), Wire.CloseRequest());
        Assert.Equal((SessionState.Closed, SessionCloseCause.FarAbort), (w.Session.State, w.Session.CloseCause));
        Assert.Equal((0, SendFlowState.Closed), (w.Session.SendFlowCount, send.State));
        Assert.Empty(w.Drain());
    }

    // §3.5.4.1: a Ping after the keepalive interval of silence, then one every ERTO while unanswered, each
    // unanswered one backing ERTO off; an answered keepalive does not back off.
    [Fact]
    public void Unanswered_keepalives_repeat_every_erto_with_backoff()
    {
        var w = new Wire();
        var times = new List<long>();
        var ertos = new List<int>();
        for (int i = 0; i < 3; i++)
        {
            w.Now = w.Session.NextWakeupMs(w.Now);
            ertos.Add(w.Session.Rto.ErtoMs);
            w.Now--;
            Assert.Empty(w.Drain());
            w.Now++;
            var p = Assert.Single(w.Drain());
            Assert.Equal([ChunkType.Ping], p.Types);
            Assert.Empty(p.Chunks[0].Payload);
            times.Add(w.Now);
        }
        // ertos[i] is ERTO before keepalive i; the second and third back it off as they go out.
        Assert.Equal(15_000, times[0]);
        Assert.Equal(times[0] + ertos[1], times[1]);
        Assert.Equal(times[1] + ertos[2], times[2]);
        Assert.Equal(ertos[0], ertos[1]);
        Assert.True(ertos[2] > ertos[1] && w.Session.Rto.ErtoMs > ertos[2]);
    }

    [Fact]
    public void Answered_keepalive_does_not_back_off()
    {
        var w = new Wire();
        w.Now = 15_000;
        Assert.Equal([ChunkType.Ping], Assert.Single(w.Drain()).Types);
        int erto = w.Session.Rto.ErtoMs;
        w.Now = 15_100;
        w.Receive(Wire.PingReply([]));
        Assert.Equal(30_100, w.Session.NextWakeupMs(w.Now));
        w.Now = 30_100;
        Assert.Equal([ChunkType.Ping], Assert.Single(w.Drain()).Types);
        Assert.Equal(erto, w.Session.Rto.ErtoMs);
    }

    // Groups shorten liveness (docs/groups.md): a tightened session probes and gives up sooner, never later.
    [Fact]
    public void Tightened_liveness_probes_and_times_out_sooner_but_never_later()
    {
        var w = new Wire();
        Assert.Throws<ArgumentOutOfRangeException>(() => w.Session.TightenLiveness(0, 1000));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.Session.TightenLiveness(1000, 0));
        w.Session.TightenLiveness(2000, 5000);
        w.Session.TightenLiveness(100_000, 200_000);
        Assert.Equal(2000, w.Session.NextWakeupMs(0));
        w.Now = 2000;
        Assert.Equal([ChunkType.Ping], Assert.Single(w.Drain()).Types);
        w.Now = 4999;
        w.Drain();
        Assert.Equal(SessionState.Open, w.Session.State);
        w.Now = 5000;
        Assert.Equal([ChunkType.SessionCloseAcknowledgement], Assert.Single(w.Drain()).Types);
        Assert.Equal((SessionState.Closed, SessionCloseCause.IdleTimeout), (w.Session.State, w.Session.CloseCause));
    }

    [Fact]
    public void A_packet_after_the_idle_timeout_finds_the_session_closed()
    {
        var w = new Wire();
        w.Now = 120_000;
        w.Receive(w.Data(3, 1, [1]));
        Assert.Equal((SessionState.Closed, SessionCloseCause.IdleTimeout), (w.Session.State, w.Session.CloseCause));
        Assert.Empty(w.Recorder.Opened);
    }

    // §3.6.2.11, §3.6.3.2: completed flows linger, then leave the session (and its counts) for good.
    [Fact]
    public void Completed_flows_leave_the_session_after_their_linger()
    {
        var w = new Wire(new SessionOptions { IdleTimeoutMs = 1_000_000, MobilitySecret = new byte[16] });
        var send = w.Session.OpenFlow(Wire.Metadata);
        send.Write(new byte[1]);
        send.Close();
        w.Drain();
        w.Receive(Wire.Ack(send.FlowId, 1), w.Data(3, 1, [1], final: true));
        Assert.Equal(SendFlowState.CompleteLinger, send.State);
        Assert.True(w.Session.TryGetRecvFlow(3, out var recv));
        Assert.Equal(RecvFlowState.CompleteLinger, recv.State);
        long changes = w.Session.FlowChanges;
        w.Now = SendFlow.CompleteLingerMs;
        w.Drain();
        Assert.Equal((0, 0), (w.Session.SendFlowCount, w.Session.RecvFlowCount));
        Assert.Equal(changes + 2, w.Session.FlowChanges);
    }

    [Fact]
    public void A_mobility_secret_below_128_bits_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new Wire(new SessionOptions { MobilitySecret = new byte[15] }));
        _ = new Wire(new SessionOptions { MobilitySecret = new byte[16] });
    }

    // §2.3.9–§2.3.10: every Ping is answered with its message, oldest first; at most four replies wait, and a Ping
    // whose reply could not fit a packet is not answered.
    [Fact]
    public void Pings_are_answered_in_order_with_their_messages()
    {
        var w = new Wire();
        w.Receive(Wire.Ping([1]), Wire.Ping([2, 2]), Wire.Ping([3]), Wire.Ping([4]), Wire.Ping([5]));
        Assert.Equal(w.Now, w.Session.NextWakeupMs(w.Now));
        var replies = Wire.All(w.Drain(), ChunkType.PingReply);
        Assert.Equal(new byte[][] { [1], [2, 2], [3], [4] }, replies.Select(r => r.Payload).ToArray());
        Assert.True(w.Session.NextWakeupMs(w.Now) > w.Now);
    }

    [Fact]
    public void Largest_pings_are_answered_one_per_packet_and_larger_ones_not_at_all()
    {
        var w = new Wire();
        int max = 1200 - PacketLimits.MaxPacketHeaderLength - PacketLimits.ChunkHeaderLength;
        var big = new byte[max];
        big[0] = 7;
        w.Receive(Wire.Ping(big), Wire.Ping(big));
        var sent = w.Drain();
        Assert.Equal(2, sent.Count);
        Assert.All(sent, p => Assert.Equal(big, Assert.Single(p.Chunks).Payload));
        Assert.All(sent, p => Assert.True(p.Length <= 1200));
        w.Receive(Wire.Ping(new byte[max + 1]));
        Assert.True(w.Session.NextWakeupMs(w.Now) > w.Now);
        Assert.Empty(w.Drain());
    }

    [Fact]
    public void Replies_still_waiting_at_close_are_dropped()
    {
        var w = new Wire();
        w.Receive(Wire.Ping([1]), Wire.Ping([2]));
        w.Session.Abort();
        Assert.Equal([ChunkType.SessionCloseAcknowledgement], Assert.Single(w.Drain()).Types);
    }
}
