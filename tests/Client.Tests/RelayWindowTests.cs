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

        window.Open(nextVideo: 25, nextAudio: 50);
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
