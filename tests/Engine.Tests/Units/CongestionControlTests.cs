namespace Rtmfp.Engine.Tests.Units;

/// <summary>
/// RFC 7016 Appendix A (Figures 24 and 25) and §3.5.2.1/§3.5.2.3, one rule at a time, with the arithmetic worked out
/// by hand: the simulated-link tests only see the window's overall shape.
/// </summary>
public class CongestionControlTests
{
    private const long Now = 100_000;

    private static void Packet(CongestionControl cc, long outstanding, long acked, bool loss = false, bool nak = false, long now = Now)
    {
        cc.BeginPacket(outstanding);
        if (acked > 0)
        {
            cc.OnAcknowledgement(acked);
        }
        if (nak)
        {
            cc.OnNegativeAcknowledgement();
        }
        if (loss)
        {
            cc.OnLoss();
        }
        cc.EndPacket(now);
    }

    [Fact]
    public void Starts_at_the_initial_window_with_infinite_ssthresh()
    {
        var cc = new CongestionControl();
        Assert.Equal((4380L, long.MaxValue, 0), (cc.Cwnd, cc.Ssthresh, cc.DataPacketCount));
    }

    [Fact]
    public void May_send_below_the_window_and_below_six_unacknowledged_data_packets()
    {
        var cc = new CongestionControl();
        Assert.True(cc.CanSend(4379));
        Assert.False(cc.CanSend(4380));
        for (int i = 0; i < 5; i++)
        {
            cc.OnDataPacketSent();
        }
        Assert.True(cc.CanSend(0));
        cc.OnDataPacketSent();
        Assert.Equal(6, cc.DataPacketCount);
        Assert.False(cc.CanSend(0));
        cc.OnAcknowledgement(0);
        Assert.Equal(0, cc.DataPacketCount);
        Assert.True(cc.CanSend(0));
    }

    [Fact]
    public void Slow_start_grows_by_the_acknowledged_bytes_up_to_one_smss_per_packet()
    {
        var cc = new CongestionControl();
        Packet(cc, outstanding: 5000, acked: 1000);
        Assert.Equal(5380, cc.Cwnd);
        Packet(cc, outstanding: 5380, acked: 3000);
        Assert.Equal(6580, cc.Cwnd);
    }

    [Fact]
    public void No_growth_when_the_window_was_not_full_or_a_nak_came_or_nothing_was_acknowledged()
    {
        var cc = new CongestionControl();
        Packet(cc, outstanding: 4379, acked: 1000);
        Assert.Equal(4380, cc.Cwnd);
        Packet(cc, outstanding: 4380, acked: 1000, nak: true);
        Assert.Equal(4380, cc.Cwnd);
        Packet(cc, outstanding: 4380, acked: 0);
        Assert.Equal(4380, cc.Cwnd);
        Packet(cc, outstanding: 4380, acked: 1000);
        Assert.Equal(5380, cc.Cwnd);
    }

    [Theory]
    [InlineData(4000, 4380)]      // half of it is below the initial window
    [InlineData(20000, 10000)]    // halved
    [InlineData(67200, 33600)]    // at the fast-decrease threshold: still halved
    [InlineData(67201, 58800)]    // above it with fast grow allowed: 7/8
    public void Loss_sets_ssthresh_and_window_from_the_outstanding_bytes(long outstanding, long expected)
    {
        var cc = new CongestionControl();
        Packet(cc, outstanding, acked: 100, loss: true);
        Assert.Equal((expected, expected), (cc.Ssthresh, cc.Cwnd));
    }

    [Fact]
    public void Loss_while_sending_time_critical_data_decreases_by_an_eighth_only()
    {
        var cc = new CongestionControl();
        cc.OnTimeCriticalSent(Now);
        Packet(cc, outstanding: 20000, acked: 0, loss: true);
        Assert.Equal(17500, cc.Cwnd);
    }

    [Fact]
    public void Loss_with_fast_grow_forbidden_by_a_time_critical_reverse_halves_even_a_large_window()
    {
        var cc = new CongestionControl();
        cc.OnTimeCriticalReverseReceived(Now);
        Packet(cc, outstanding: 80000, acked: 0, loss: true);
        Assert.Equal(40000, cc.Cwnd);
    }

    [Fact]
    public void Congestion_avoidance_adds_48_bytes_per_threshold_acknowledged()
    {
        var cc = new CongestionControl();
        Packet(cc, outstanding: 80000, acked: 0, loss: true); // ssthresh = cwnd = 70000
        Assert.Equal(70000, cc.Cwnd);
        // AITHRESH = min(max(70000 / 16, 64), 4800) = 4375
        Packet(cc, outstanding: 70000, acked: 4374);
        Assert.Equal(70000, cc.Cwnd);
        Packet(cc, outstanding: 70000, acked: 1);
        Assert.Equal(70048, cc.Cwnd);
        Packet(cc, outstanding: 70048, acked: 4378 * 2);
        Assert.Equal(70144, cc.Cwnd);
    }

    [Fact]
    public void Congestion_avoidance_threshold_is_capped_at_4800_bytes()
    {
        var cc = new CongestionControl();
        Packet(cc, outstanding: 100000, acked: 0, loss: true); // 87500: cwnd / 16 = 5468
        Assert.Equal(87500, cc.Cwnd);
        Packet(cc, outstanding: 87500, acked: 4800);
        Assert.Equal(87548, cc.Cwnd);
    }

    [Fact]
    public void Time_critical_reverse_without_own_time_critical_data_grows_24_bytes_per_threshold()
    {
        var cc = new CongestionControl();
        cc.OnTimeCriticalReverseReceived(Now);
        Assert.False(cc.FastGrowAllowed(Now));
        // SSTHRESH behaves as 0: AITHRESH = min(max(4380 / 16, 64), 4800) = 273; 1000 bytes = 3 thresholds
        Packet(cc, outstanding: 4380, acked: 1000);
        Assert.Equal(4452, cc.Cwnd);
        Packet(cc, outstanding: 4452, acked: 92); // 181 + 92 = 273 (cwnd / 16 = 278 now: not yet)
        Assert.Equal(4452, cc.Cwnd);
        Packet(cc, outstanding: 4452, acked: 5);
        Assert.Equal(4476, cc.Cwnd);
    }

    [Fact]
    public void Sending_time_critical_data_in_slow_start_grows_by_a_quarter_rounded_up()
    {
        var cc = new CongestionControl();
        cc.OnTimeCriticalSent(Now);
        Assert.True(cc.TimeCriticalSent(Now));
        Packet(cc, outstanding: 4380, acked: 1000);
        Assert.Equal(4630, cc.Cwnd);
        Packet(cc, outstanding: 4630, acked: 1);
        Assert.Equal(4631, cc.Cwnd);
    }

    [Fact]
    public void Sending_time_critical_data_above_ssthresh_caps_the_threshold_at_2400_bytes()
    {
        var cc = new CongestionControl();
        cc.OnTimeCriticalSent(Now);
        Packet(cc, outstanding: 80000, acked: 0, loss: true); // 7/8: 70000
        Assert.Equal(70000, cc.Cwnd);
        Packet(cc, outstanding: 70000, acked: 2399);
        Assert.Equal(70000, cc.Cwnd);
        Packet(cc, outstanding: 70000, acked: 1);
        Assert.Equal(70024, cc.Cwnd);
    }

    [Fact]
    public void The_window_never_falls_below_the_initial_window_when_it_grows_after_a_timeout()
    {
        var cc = new CongestionControl();
        cc.OnTimeout(wasLoss: true);
        Assert.Equal(CongestionControl.CwndTimedOut, cc.Cwnd);
        Packet(cc, outstanding: 1200, acked: 100);
        Assert.Equal(4380, cc.Cwnd);
    }

    [Fact]
    public void Timeout_keeps_an_infinite_ssthresh_and_otherwise_keeps_three_quarters_of_the_window()
    {
        var cc = new CongestionControl();
        cc.OnDataPacketSent();
        cc.OnTimeout(wasLoss: false);
        Assert.Equal((long.MaxValue, 4380L, 0), (cc.Ssthresh, cc.Cwnd, cc.DataPacketCount));

        Packet(cc, outstanding: 8000, acked: 0, loss: true); // ssthresh = cwnd = 4380
        Assert.Equal(4380, cc.Ssthresh);
        while (cc.Cwnd < 8000)
        {
            Packet(cc, outstanding: cc.Cwnd, acked: 1200);
        }
        long cwnd = cc.Cwnd;
        cc.OnTimeout(wasLoss: true);
        Assert.Equal((cwnd * 3 / 4, 1200L), (cc.Ssthresh, cc.Cwnd));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_timeout_or_a_loss_forgets_the_partly_filled_threshold(bool timeout)
    {
        var cc = new CongestionControl();
        cc.OnTimeCriticalReverseReceived(Now); // every increase goes through the 273-byte threshold
        Packet(cc, outstanding: 4380, acked: 200);
        if (timeout)
        {
            cc.OnTimeout(wasLoss: false);
        }
        else
        {
            Packet(cc, outstanding: 4380, acked: 0, loss: true);
        }
        Assert.Equal(4380, cc.Cwnd);
        Packet(cc, outstanding: 4380, acked: 100); // 100, not 300: no increase
        Assert.Equal(4380, cc.Cwnd);
        Packet(cc, outstanding: 4380, acked: 173);
        Assert.Equal(4404, cc.Cwnd);
    }

    [Fact]
    public void Time_critical_windows_last_800_ms()
    {
        var cc = new CongestionControl();
        cc.OnTimeCriticalSent(1000);
        Assert.True(cc.TimeCriticalSent(1799));
        Assert.False(cc.TimeCriticalSent(1800));
        Assert.False(cc.FastGrowAllowed(1799));
        Assert.True(cc.FastGrowAllowed(1800));

        cc.OnTimeCriticalReverseReceived(5000);
        Assert.False(cc.FastGrowAllowed(5799));
        Assert.True(cc.FastGrowAllowed(5800));
    }

    [Fact]
    public void Another_session_sending_time_critical_data_forbids_fast_grow_through_the_shared_tracker()
    {
        var tracker = new TimeCriticalTracker();
        var mine = new CongestionControl(tracker);
        var other = new CongestionControl(tracker);
        Assert.True(mine.FastGrowAllowed(1000));
        other.OnTimeCriticalSent(1000);
        Assert.False(mine.FastGrowAllowed(1000));
        Assert.False(mine.TimeCriticalSent(1000));
        Assert.True(mine.FastGrowAllowed(1800));
    }
}
