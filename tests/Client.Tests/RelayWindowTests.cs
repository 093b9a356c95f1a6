using Rtmfp.ClientCli;

namespace Rtmfp.Client.Tests;

/// <summary>The relay's measured window (bench/fanout.sh --warmup): what counts, and the server CPU read over it.</summary>
public class RelayWindowTests
{
    [Fact]
    public void During_the_warm_up_nothing_counts_and_after_it_only_frames_from_the_first_measured_ones()
    {
        var window = new RelayWindow(serverPid: 0, warmingUp: true);
        Assert.False(window.IsOpen);
        Assert.False(window.Counts(video: true, 0));
        Assert.False(window.Counts(video: false, 40));

        window.Open(firstVideo: 25, firstAudio: 50);
        Assert.True(window.IsOpen);
        Assert.False(window.Counts(video: true, 24));
        Assert.True(window.Counts(video: true, 25));
        Assert.False(window.Counts(video: false, 49));
        Assert.True(window.Counts(video: false, 50));
        Assert.Null(window.ServerCpu()); // no --server-pid: nothing to read
    }

    [Fact]
    public void Without_a_warm_up_every_frame_counts()
    {
        var window = new RelayWindow(serverPid: 0, warmingUp: false);
        Assert.True(window.Counts(video: true, 0));
        Assert.True(window.Counts(video: false, 0));
    }

    [Fact]
    public void The_servers_CPU_over_the_window_is_read_from_proc_as_user_and_system_shares_of_a_core()
    {
        if (!File.Exists($"/proc/{Environment.ProcessId}/stat"))
        {
            return; // not Linux: /proc has no such file (CI is Linux)
        }
        var window = new RelayWindow(Environment.ProcessId, warmingUp: true);
        window.Open(0, 0);
        var until = DateTime.UtcNow.AddMilliseconds(300);
        long spin = 0;
        while (DateTime.UtcNow < until)
        {
            spin++; // this process is the "server": it burns CPU the window must see
        }
        var cpu = window.ServerCpu();
        Assert.NotNull(cpu);
        Assert.True(spin > 0);
        Assert.InRange(cpu.Value.Seconds, 0.29, 5);
        Assert.InRange(cpu.Value.UserPercent + cpu.Value.SystemPercent, 10, 200 * Environment.ProcessorCount);
    }
}

/// <summary>The relay publisher's schedule: the window counts frames by their stamps, not by when a loop woke.</summary>
public class RelayScheduleTests
{
    private static (uint Video, uint Audio) Run(RelaySchedule schedule, RelayWindow window, IEnumerable<double> ticks)
    {
        foreach (double elapsedMs in ticks)
        {
            // The publishing loop's own step: the window must be open before any counted frame leaves.
            if (schedule.Step(elapsedMs, window,
                audio => Assert.Equal(audio >= schedule.FirstCountedAudio, window.Counts(video: false, audio)),
                video => Assert.Equal(video >= schedule.FirstCountedVideo, window.Counts(video: true, video))))
            {
                return schedule.Counted();
            }
        }
        throw new InvalidOperationException("the ticks ended before the schedule");
    }

    private static IEnumerable<double> Every10Ms(double from, double to)
    {
        for (double t = from; t < to; t += 10)
        {
            yield return t;
        }
    }

    [Fact]
    public void On_time_ticks_count_two_seconds_of_frames_after_a_one_second_warm_up()
    {
        var schedule = new RelaySchedule(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        Assert.Equal((50u, 100u), Run(schedule, new RelayWindow(0, warmingUp: true), Every10Ms(0, 5000)));
        Assert.Equal((75u, 150u), (schedule.NextVideo, schedule.NextAudio)); // the warm-up's 25 + 50 were sent, not counted
    }

    [Fact]
    public void A_loop_starved_across_the_warm_up_and_past_the_end_counts_the_same_frames()
    {
        // Asleep from 30 ms to 1.7 s (the warm-up ends while it owes 41 video frames), then again from 2.9 s to 3.4 s.
        var ticks = new[] { 0.0, 10, 20, 30 }.Concat(Every10Ms(1700, 2900)).Concat([3400.0]);
        var schedule = new RelaySchedule(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        Assert.Equal((50u, 100u), Run(schedule, new RelayWindow(0, warmingUp: true), ticks));
        Assert.Equal((75u, 150u), (schedule.NextVideo, schedule.NextAudio)); // none stamped at or after 3 s
    }

    [Fact]
    public void Without_a_warm_up_every_frame_of_the_duration_counts()
    {
        var schedule = new RelaySchedule(TimeSpan.Zero, TimeSpan.FromSeconds(1));
        Assert.Equal((0u, 0u), (schedule.FirstCountedVideo, schedule.FirstCountedAudio));
        Assert.Equal((25u, 50u), Run(schedule, new RelayWindow(0, warmingUp: false), Every10Ms(0, 2000)));
    }
}
