namespace Rtmfp.Engine.Tests.Units;

/// <summary>RFC 7016 §3.5.2.2: the timestamp echo and the retransmission timeout, value by value.</summary>
public class TimingUnitTests
{
    [Fact]
    public void First_rtt_sample_sets_srtt_rttvar_mrto_and_erto()
    {
        var rto = new RetransmissionTimeout();
        Assert.Equal((250, 3000, -1, -1), (rto.MrtoMs, rto.ErtoMs, rto.SrttMs, rto.LastRttMs));
        rto.AddSample(100);
        // SRTT 100, RTTVAR 50, MRTO = 100 + 4 * 50 + 200
        Assert.Equal((100, 50, 500, 500, 100), (rto.SrttMs, rto.RttVarMs, rto.MrtoMs, rto.ErtoMs, rto.LastRttMs));
    }

    [Fact]
    public void Later_samples_are_smoothed()
    {
        var rto = new RetransmissionTimeout();
        rto.AddSample(100);
        rto.AddSample(200);
        // RTTVAR = (3 * 50 + |100 - 200|) / 4 = 62, SRTT = (7 * 100 + 200) / 8 = 112, MRTO = 112 + 248 + 200
        Assert.Equal((112, 62, 560, 560), (rto.SrttMs, rto.RttVarMs, rto.MrtoMs, rto.ErtoMs));
        rto.AddSample(12);
        // RTTVAR = (186 + 100) / 4 = 71, SRTT = (784 + 12) / 8 = 99
        Assert.Equal((99, 71, 583), (rto.SrttMs, rto.RttVarMs, rto.MrtoMs));
    }

    [Fact]
    public void Erto_is_never_below_250_ms()
    {
        var rto = new RetransmissionTimeout();
        rto.AddSample(0);
        Assert.Equal((200, 250), (rto.MrtoMs, rto.ErtoMs));
    }

    [Fact]
    public void Backoff_multiplies_by_root_two_and_never_goes_below_mrto()
    {
        var rto = new RetransmissionTimeout();
        rto.AddSample(100); // ERTO 500
        rto.Backoff();
        Assert.Equal(707, rto.ErtoMs);
        rto.Backoff();
        Assert.Equal(999, rto.ErtoMs); // the 10 s cap itself: TimingTests

        var slow = new RetransmissionTimeout();
        slow.AddSample(9000); // MRTO = 9000 + 18000 + 200
        slow.Backoff();
        Assert.Equal(27_200, slow.ErtoMs);
    }

    [Fact]
    public void A_send_timestamp_is_offered_only_when_it_changed()
    {
        var rto = new RetransmissionTimeout();
        Assert.True(rto.TryGetTimestampToSend(400, out ushort ts));
        Assert.Equal(100, ts);
        Assert.False(rto.TryGetTimestampToSend(403, out ts));
        Assert.True(rto.TryGetTimestampToSend(404, out ts));
        Assert.Equal(101, ts);
    }

    [Fact]
    public void An_echo_gives_one_sample_and_a_repeated_or_future_echo_none()
    {
        var rto = new RetransmissionTimeout();
        rto.OnTimestampEchoReceived(75, 400); // 25 ticks
        Assert.Equal(100, rto.LastRttMs);
        rto.OnTimestampEchoReceived(75, 800); // the same echo again: no new sample
        Assert.Equal(100, rto.LastRttMs);
        rto.OnTimestampEchoReceived(300, 800); // from the future: 200 - 300 wraps above 32767
        Assert.Equal(100, rto.LastRttMs);
        Assert.Equal(100, rto.SrttMs);
    }

    [Fact]
    public void An_echo_exactly_32767_ticks_old_is_a_sample_one_tick_more_is_not()
    {
        var rto = new RetransmissionTimeout();
        rto.OnTimestampEchoReceived(0, 32767L * 4);
        Assert.Equal(32767 * 4, rto.LastRttMs);
        var late = new RetransmissionTimeout();
        late.OnTimestampEchoReceived(0, 32768L * 4);
        Assert.Equal(-1, late.LastRttMs);
    }

    [Fact]
    public void Echo_is_the_far_timestamp_advanced_by_the_time_held()
    {
        var echo = new TimestampEcho();
        Assert.False(echo.TryGetEchoToSend(0, out _));
        echo.OnTimestampReceived(10, 1000);
        Assert.True(echo.TryGetEchoToSend(1000, out ushort e));
        Assert.Equal(10, e);
        Assert.False(echo.TryGetEchoToSend(1003, out _)); // unchanged echo is not repeated
        Assert.True(echo.TryGetEchoToSend(1004, out e));
        Assert.Equal(11, e);
        echo.OnTimestampReceived(10, 2000); // the same timestamp does not restart TS_RX_TIME
        Assert.True(echo.TryGetEchoToSend(2000, out e));
        Assert.Equal(260, e);
        echo.OnTimestampReceived(500, 3000);
        Assert.True(echo.TryGetEchoToSend(3000, out e));
        Assert.Equal(500, e);
    }

    [Fact]
    public void Echo_stops_after_128_seconds_until_a_new_timestamp_arrives()
    {
        var echo = new TimestampEcho();
        echo.OnTimestampReceived(10, 1000);
        Assert.True(echo.TryGetEchoToSend(129_000, out ushort e));
        Assert.Equal(10 + 32_000, e);
        Assert.False(echo.TryGetEchoToSend(129_001, out _));
        Assert.False(echo.TryGetEchoToSend(1000, out _)); // forgotten, not merely too old
        echo.OnTimestampReceived(10, 130_000);
        Assert.True(echo.TryGetEchoToSend(130_000, out e));
        Assert.Equal(10, e);
    }

    [Fact]
    public void Tracker_remembers_the_latest_send_for_800_ms()
    {
        var t = new TimeCriticalTracker();
        Assert.False(t.AnySentWithin(0));
        t.OnTimeCriticalSent(1000);
        t.OnTimeCriticalSent(500); // an older report does not move it back
        Assert.True(t.AnySentWithin(1799));
        Assert.False(t.AnySentWithin(1800));
    }

    [Fact]
    public void Tracker_tells_a_session_whether_another_one_received_time_critical_data()
    {
        var t = new TimeCriticalTracker();
        object a = new(), b = new(), c = new();
        Assert.False(t.OtherReceivedWithin(a, 0));
        t.OnTimeCriticalReceived(a, 1000);
        Assert.False(t.OtherReceivedWithin(a, 1000));
        Assert.True(t.OtherReceivedWithin(b, 1799));
        Assert.False(t.OtherReceivedWithin(b, 1800));

        t.OnTimeCriticalReceived(b, 1100);
        t.OnTimeCriticalReceived(b, 1200); // the same receiver again: only its time moves
        Assert.True(t.OtherReceivedWithin(b, 1799)); // a, in the second slot
        Assert.False(t.OtherReceivedWithin(b, 1800));
        Assert.True(t.OtherReceivedWithin(a, 1999));
        Assert.False(t.OtherReceivedWithin(a, 2000));
        Assert.True(t.OtherReceivedWithin(c, 1999));
    }

    [Fact]
    public void Ring_buffer_keeps_order_across_wrap_and_growth()
    {
        var ring = new RingBuffer<int>(1); // rounded up to 4
        for (int i = 0; i < 3; i++)
        {
            ring.PushBack(i);
        }
        ring.PopFront();
        ring.PopFront();
        for (int i = 3; i < 12; i++)
        {
            ring.PushBack(i); // wraps, then grows twice
        }
        Assert.Equal(10, ring.Count);
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(i + 2, ring[i]);
        }
        Assert.Equal(11, ring.PeekLast());
        ring.Clear();
        Assert.Equal(0, ring.Count);
        ring.PushBack(42);
        Assert.Equal((1, 42, 42), (ring.Count, ring[0], ring.PeekLast()));
    }
}
