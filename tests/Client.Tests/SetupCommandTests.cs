using Rtmfp.ClientCli;

namespace Rtmfp.Client.Tests;

/// <summary><c>rtmfp setup</c> (bench/session-setup.sh): its options and how it reads a server's CPU time from /proc.</summary>
public class SetupCommandTests
{
    private readonly CliApp _app = new();

    [Fact]
    public void Setup_defaults_and_options()
    {
        var defaults = _app.BindSetup(_app.Parse("setup", "rtmfp://127.0.0.1/live"));
        Assert.Equal((1000, 300, 8, 0), (defaults.Sessions, defaults.Warmup, defaults.Concurrent, defaults.ServerPid));
        Assert.Equal(TimeSpan.FromSeconds(21), defaults.Settle); // past the 19 s a closed session lingers (RFC 7016 §3.5.5.2)

        var result = _app.Parse("--dh", "2", "setup", "rtmfp://127.0.0.1:19431/live", "-n", "50", "--warmup", "0", "-c", "2",
            "--server-pid", "1234", "--idle", "0", "--settle", "0.5");
        Assert.Empty(result.Errors);
        var settings = _app.BindSetup(result);
        Assert.Equal((50, 0, 2, 1234), (settings.Sessions, settings.Warmup, settings.Concurrent, settings.ServerPid));
        Assert.Equal(TimeSpan.Zero, settings.Idle);
        Assert.Equal(TimeSpan.FromSeconds(0.5), settings.Settle);
        Assert.Equal([2ul], settings.Connect.Groups.Select(g => g.Id));
        Assert.NotEmpty(_app.Parse("setup", "rtmfp://127.0.0.1/live", "-c", "0").Errors);
    }

    [Fact]
    public void Cpu_times_come_from_fields_14_and_15_after_the_command_name()
    {
        // A command name with spaces and a parenthesis, as /proc/<pid>/stat shows it (proc(5)).
        const string stat = "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 5193 0 0 0 731 86 0 0 20 0 23 0 123 456 789";
        Assert.True(ProcessCpu.TryParse(stat, out var cpu));
        Assert.Equal(new ProcessCpu(731, 86), cpu);
        Assert.Equal(8170, cpu.Milliseconds);
        Assert.Equal(new ProcessCpu(700, 80), cpu - new ProcessCpu(31, 6));
        Assert.False(ProcessCpu.TryParse("4242 (truncated) S 1 2", out _));
        Assert.False(ProcessCpu.TryParse("no parenthesis", out _));
    }

    [Fact]
    public void This_process_can_be_read()
    {
        Assert.True(ProcessCpu.TryRead(Environment.ProcessId, out var cpu));
        Assert.True(cpu.Ticks >= 0);
        Assert.False(ProcessCpu.TryRead(int.MaxValue, out _));
    }
}
