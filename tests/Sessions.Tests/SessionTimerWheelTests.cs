using System.Diagnostics;
using Akka.TestKit.Xunit;

namespace Rtmfp.Sessions.Tests;

/// <summary>The shared wake-up wheel of the session entities (SessionTimerWheel), on a hand-moved clock.</summary>
public sealed class SessionTimerWheelTests : TestKit
{
    private long _now = 1_000_000;

    [Fact]
    public void Entries_fire_once_their_time_has_passed_and_not_before()
    {
        using var wheel = new SessionTimerWheel(() => _now, start: false);
        var probe = CreateTestProbe();
        wheel.Schedule(probe.Ref, _now + 25, "a");
        wheel.Schedule(probe.Ref, _now + 15_000, "later turn"); // beyond one 10.24 s turn
        wheel.Schedule(probe.Ref, _now - 500, "past");
        Assert.Equal(3, wheel.Count);

        wheel.Advance();
        probe.ExpectMsg("past");
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(50));

        _now += 24;
        wheel.Advance();
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        _now += 1;
        wheel.Advance();
        probe.ExpectMsg("a");

        // The later entry's slot comes round after ~10.2 s: it stays for the next turn.
        for (int i = 0; i < 1100; i++)
        {
            _now += SessionTimerWheel.TickMs;
            wheel.Advance();
        }
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        Assert.Equal(1, wheel.Count);
        _now += 15_000 - 25 - 1100 * SessionTimerWheel.TickMs;
        wheel.Advance();
        probe.ExpectMsg("later turn");
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void A_long_stall_fires_everything_due_in_one_advance()
    {
        using var wheel = new SessionTimerWheel(() => _now, start: false);
        var probe = CreateTestProbe();
        for (int i = 0; i < 100; i++)
        {
            wheel.Schedule(probe.Ref, _now + i * 997, i);
        }
        _now += 200_000;
        wheel.Advance();
        var got = probe.ReceiveN(100, TimeSpan.FromSeconds(5)).Cast<int>().OrderBy(i => i);
        Assert.Equal(Enumerable.Range(0, 100), got);
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void The_wheel_wakes_at_the_end_of_its_earliest_entrys_tick_not_every_tick()
    {
        using var wheel = new SessionTimerWheel(() => _now, start: false);
        long start = _now;
        var probe = CreateTestProbe();
        Assert.Equal(long.MaxValue, wheel.NextWakeupMs); // nothing waits: parked

        wheel.Schedule(probe.Ref, start + 19_003, "linger"); // a closed session's 19 s (RFC 7016 §3.5.5.2)
        Assert.Equal(start + 19_010, wheel.NextWakeupMs);
        wheel.Schedule(probe.Ref, start + 25, "soon");
        wheel.Schedule(probe.Ref, start + 27, "same tick");
        wheel.Schedule(probe.Ref, start + 40_000, "later");
        Assert.Equal(start + 30, wheel.NextWakeupMs); // one wake-up for both entries of that tick

        _now = start + 30;
        wheel.Advance();
        probe.ExpectMsg("soon");
        probe.ExpectMsg("same tick");
        Assert.Equal(start + 19_010, wheel.NextWakeupMs); // then asleep until the next entry, 19 s on

        _now = start + 19_010;
        wheel.Advance();
        probe.ExpectMsg("linger");
        Assert.Equal(start + 40_010, wheel.NextWakeupMs); // an entry four turns of the wheel away

        _now = start + 40_010;
        wheel.Advance();
        probe.ExpectMsg("later");
        Assert.Equal(long.MaxValue, wheel.NextWakeupMs);
        Assert.Equal(0, wheel.Count);
    }

    [Fact(Timeout = 30_000)]
    public async Task An_entry_seconds_away_costs_the_timer_a_wakeup_or_two_not_one_per_tick()
    {
        using var wheel = new SessionTimerWheel();
        var probe = CreateTestProbe();
        var clock = Stopwatch.StartNew();
        wheel.Schedule(probe.Ref, Environment.TickCount64 + 1_500, "far");
        await probe.ExpectMsgAsync("far", TimeSpan.FromSeconds(10));
        Assert.True(clock.ElapsedMilliseconds >= 1_480, $"fired after {clock.ElapsedMilliseconds} ms");
        // A timer ticking every 10 ms until then would have fired about 150 times.
        Assert.InRange(wheel.Wakeups, 1, 3);
    }

    [Fact]
    public void A_cancelled_entry_never_fires_and_costs_no_wake_up()
    {
        using var wheel = new SessionTimerWheel(() => _now, start: false);
        long start = _now;
        var session = CreateTestProbe();
        var other = CreateTestProbe();
        wheel.Schedule(session.Ref, start + 15_003, "keepalive");
        wheel.Schedule(other.Ref, start + 15_003 + 10_240, "a later turn, same slot");
        wheel.Schedule(session.Ref, start + 25, "delayed ack");
        Assert.Equal(start + 30, wheel.NextWakeupMs);

        // Re-armed earlier, then stopped: both of the session's entries go, and the timer with the earliest of them.
        Assert.False(wheel.Cancel(session.Ref, start + 26)); // no entry at that time
        Assert.False(wheel.Cancel(other.Ref, start + 25)); // nor of that target
        Assert.True(wheel.Cancel(session.Ref, start + 25));
        Assert.Equal(start + 15_010, wheel.NextWakeupMs);
        Assert.True(wheel.Cancel(session.Ref, start + 15_003));
        Assert.Equal(start + 25_250, wheel.NextWakeupMs); // the other turn's entry in that slot stays
        Assert.Equal(1, wheel.Count);
        Assert.False(wheel.Cancel(session.Ref, start + 15_003)); // gone already

        _now = start + 15_010;
        wheel.Advance();
        session.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        _now = start + 25_250;
        wheel.Advance();
        other.ExpectMsg("a later turn, same slot");
        Assert.Equal(long.MaxValue, wheel.NextWakeupMs);
        session.ExpectNoMsg(TimeSpan.FromMilliseconds(50));

        // The last entry cancelled parks the timer; one already fired cannot be cancelled.
        wheel.Schedule(session.Ref, _now + 100, "x");
        Assert.True(wheel.Cancel(session.Ref, _now + 100));
        Assert.Equal(long.MaxValue, wheel.NextWakeupMs);
        Assert.Equal(0, wheel.Count);
        wheel.Schedule(session.Ref, _now + 10, "y");
        _now += 10;
        wheel.Advance();
        session.ExpectMsg("y");
        Assert.False(wheel.Cancel(session.Ref, _now));
    }

    [Fact]
    public void Nothing_is_scheduled_once_disposed()
    {
        var wheel = new SessionTimerWheel(() => _now, start: false);
        wheel.Dispose();
        wheel.Schedule(CreateTestProbe().Ref, _now, "x");
        Assert.Equal(0, wheel.Count);
    }

    [Fact(Timeout = 30_000)]
    public async Task The_timer_runs_only_while_entries_wait()
    {
        using var wheel = new SessionTimerWheel();
        Assert.False(wheel.IsTicking); // an idle node's wheel does not wake every 10 ms
        var probe = CreateTestProbe();
        wheel.Schedule(probe.Ref, Environment.TickCount64 + 30, "soon");
        Assert.True(wheel.IsTicking);
        await probe.ExpectMsgAsync("soon", TimeSpan.FromSeconds(10));
        await AwaitConditionAsync(() => Task.FromResult(!wheel.IsTicking), TimeSpan.FromSeconds(10));
        Assert.Equal(0, wheel.Count);

        // Parked for a while, it starts again and fires on time (the cursor jumped to now, not replaying the pause).
        wheel.Schedule(probe.Ref, Environment.TickCount64 + 20, "again");
        Assert.True(wheel.IsTicking);
        await probe.ExpectMsgAsync("again", TimeSpan.FromSeconds(10));
    }
}
