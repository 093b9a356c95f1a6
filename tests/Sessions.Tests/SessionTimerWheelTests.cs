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
