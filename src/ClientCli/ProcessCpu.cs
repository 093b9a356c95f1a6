using System.Globalization;

namespace Rtmfp.ClientCli;

/// <summary>
/// CPU time a process has used so far, all its threads (dead ones included): utime and stime of
/// <c>/proc/&lt;pid&gt;/stat</c> (proc(5), fields 14 and 15, in clock ticks: 10 ms with CLK_TCK = 100).
/// </summary>
internal readonly record struct ProcessCpu(long UserTicks, long SystemTicks)
{
    /// <summary>sysconf(_SC_CLK_TCK) is 100 on every Linux architecture .NET runs on.</summary>
    public const double TicksPerSecond = 100;

    public long Ticks => UserTicks + SystemTicks;

    public double Milliseconds => Ticks * 1000 / TicksPerSecond;

    public static ProcessCpu operator -(ProcessCpu after, ProcessCpu before) =>
        new(after.UserTicks - before.UserTicks, after.SystemTicks - before.SystemTicks);

    public static ProcessCpu operator +(ProcessCpu a, ProcessCpu b) =>
        new(a.UserTicks + b.UserTicks, a.SystemTicks + b.SystemTicks);

    /// <summary>Reads the process's counters; false when it does not exist (any more) or /proc is not Linux's.</summary>
    public static bool TryRead(int pid, out ProcessCpu cpu)
    {
        cpu = default;
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
        return TryParse(text, out cpu);
    }

    /// <summary>The command name (field 2) is in parentheses and may hold spaces: count fields after its last ')'.</summary>
    public static bool TryParse(string stat, out ProcessCpu cpu)
    {
        cpu = default;
        int close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return false;
        }
        // After ')' come field 3 (state) onwards; utime is field 14, stime field 15: indexes 11 and 12 here.
        string[] fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 13
            || !long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out long user)
            || !long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out long system))
        {
            return false;
        }
        cpu = new ProcessCpu(user, system);
        return true;
    }
}
