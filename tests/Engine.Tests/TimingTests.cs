namespace Rtmfp.Engine.Tests;

public class TimingTests
{
    [Fact]
    public void Echo_follows_rfc_rules()
    {
        var echo = new TimestampEcho();
        Assert.False(echo.TryGetEchoToSend(1000, out _)); // nothing received yet
        echo.OnTimestampReceived(100, 1000);
        Assert.True(echo.TryGetEchoToSend(1010, out ushort e1));
        Assert.Equal(102, e1); // 100 + floor(10 ms / 4 ms)
        Assert.False(echo.TryGetEchoToSend(1011, out _)); // same echo value is not repeated
        Assert.True(echo.TryGetEchoToSend(1012, out ushort e2));
        Assert.Equal(103, e2);
        echo.OnTimestampReceived(100, 5000); // unchanged timestamp does not restart TS_RX_TIME
        Assert.True(echo.TryGetEchoToSend(5000, out ushort e3));
        Assert.Equal((ushort)(100 + 1000), e3);
        Assert.False(echo.TryGetEchoToSend(1000 + 128_001, out _)); // older than 128 s: forgotten
        Assert.False(echo.TryGetEchoToSend(1000 + 128_100, out _));
    }

    [Fact]
    public void Echo_wraps_modulo_65536()
    {
        var echo = new TimestampEcho();
        echo.OnTimestampReceived(65535, 0);
        Assert.True(echo.TryGetEchoToSend(8, out ushort e));
        Assert.Equal(1, e);
    }

    [Fact]
    public void Rto_measurement_and_backoff()
    {
        var rto = new RetransmissionTimeout();
        Assert.Equal(3000, rto.ErtoMs);
        Assert.True(rto.TryGetTimestampToSend(4000, out ushort ts));
        Assert.Equal(1000, ts);
        Assert.False(rto.TryGetTimestampToSend(4003, out _)); // same tick
        rto.OnTimestampEchoReceived(1000, 4400); // 100 ticks = 400 ms
        Assert.Equal(400, rto.SrttMs);
        Assert.Equal(200, rto.RttVarMs);
        Assert.Equal(400 + 800 + 200, rto.MrtoMs);
        Assert.Equal(1400, rto.ErtoMs);
        rto.OnTimestampEchoReceived(1000, 9000); // same echo again: ignored
        Assert.Equal(400, rto.SrttMs);
        rto.Backoff();
        Assert.Equal(1979, rto.ErtoMs);
        for (int i = 0; i < 20; i++)
        {
            rto.Backoff();
        }
        Assert.Equal(10_000, rto.ErtoMs);
    }

    [Fact]
    public void Rto_has_250ms_floor_and_rejects_future_echo()
    {
        var rto = new RetransmissionTimeout();
        for (int i = 0; i < 50; i++)
        {
            rto.AddSample(4);
        }
        Assert.Equal(250, rto.ErtoMs);
        var fresh = new RetransmissionTimeout();
        fresh.OnTimestampEchoReceived(2000, 4000); // echo is "ahead" of our clock: RTT_TICKS > 32767
        Assert.Equal(-1, fresh.SrttMs);
    }

    [Fact]
    public void Cwnd_slow_start_then_loss_halves_then_timeout_resets()
    {
        var cc = new CongestionControl();
        Assert.Equal(CongestionControl.CwndInit, cc.Cwnd);
        // Slow start: window grows by acked bytes when the window was full.
        cc.BeginPacket(4380);
        cc.OnAcknowledgement(1000);
        cc.EndPacket(10_000);
        Assert.Equal(4380 + 1000, cc.Cwnd);
        // Not window-limited: no growth.
        cc.BeginPacket(100);
        cc.OnAcknowledgement(100);
        cc.EndPacket(10_001);
        Assert.Equal(5380, cc.Cwnd);
        // Growth per packet is capped at SMSS.
        cc.BeginPacket(6000);
        cc.OnAcknowledgement(5000);
        cc.EndPacket(10_002);
        Assert.Equal(5380 + CongestionControl.Smss, cc.Cwnd);
        // Loss with 40000 outstanding: halves to 20000.
        cc.BeginPacket(40_000);
        cc.OnAcknowledgement(1000);
        cc.OnNegativeAcknowledgement();
        cc.OnLoss();
        cc.EndPacket(10_003);
        Assert.Equal(20_000, cc.Cwnd);
        Assert.Equal(20_000, cc.Ssthresh);
        // Congestion avoidance: +48 per AITHRESH = min(max(cwnd/16, 64), 4800) acked.
        cc.BeginPacket(20_000);
        cc.OnAcknowledgement(1250 * 2);
        cc.EndPacket(10_004);
        Assert.Equal(20_000 + 96, cc.Cwnd);
        // Timeout with loss: one SMSS, SSTHRESH = max(SSTHRESH, 3/4 CWND).
        cc.OnTimeout(wasLoss: true);
        Assert.Equal(CongestionControl.CwndTimedOut, cc.Cwnd);
        Assert.Equal(20_000, cc.Ssthresh);
        cc.OnTimeout(wasLoss: false);
        Assert.Equal(CongestionControl.CwndInit, cc.Cwnd);
    }

    [Fact]
    public void Time_critical_reverse_disables_slow_start()
    {
        var cc = new CongestionControl();
        cc.OnTimeCriticalReverseReceived(1000);
        Assert.False(cc.FastGrowAllowed(1500));
        cc.BeginPacket(4380);
        cc.OnAcknowledgement(4380);
        cc.EndPacket(1500);
        // AITHRESH = max(4380/16, 64) = 273 → 16 steps of 24 bytes = 384, not +4380.
        Assert.Equal(4380 + 16 * 24, cc.Cwnd);
        Assert.True(cc.FastGrowAllowed(1800));
    }

    [Fact]
    public void Large_window_loss_cuts_by_one_eighth()
    {
        var cc = new CongestionControl();
        cc.BeginPacket(80_000);
        cc.OnLoss();
        cc.EndPacket(5000);
        Assert.Equal(70_000, cc.Cwnd);
        var tracker = new TimeCriticalTracker();
        var tc = new CongestionControl(tracker);
        tc.OnTimeCriticalSent(5000);
        Assert.True(tracker.AnySentWithin(5500));
        tc.BeginPacket(8000);
        tc.OnLoss();
        tc.EndPacket(5100); // TC_SENT: 7/8 even for small windows
        Assert.Equal(7000, tc.Cwnd);
    }

    [Fact]
    public void Burst_avoidance_limits_six_data_packets_between_acks()
    {
        var cc = new CongestionControl();
        for (int i = 0; i < 6; i++)
        {
            Assert.True(cc.CanSend(0));
            cc.OnDataPacketSent();
        }
        Assert.False(cc.CanSend(0));
        cc.OnAcknowledgement(0);
        Assert.True(cc.CanSend(0));
    }

    [Fact]
    public void Tracker_tells_other_sessions_about_tc_reception()
    {
        var t = new TimeCriticalTracker();
        object a = new(), b = new();
        t.OnTimeCriticalReceived(a, 100);
        Assert.False(t.OtherReceivedWithin(a, 200));
        Assert.True(t.OtherReceivedWithin(b, 200));
        Assert.False(t.OtherReceivedWithin(b, 900));
    }
}
