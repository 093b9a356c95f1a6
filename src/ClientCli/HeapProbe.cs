using System.Diagnostics;
using System.Globalization;

namespace Rtmfp.ClientCli;

/// <summary>
/// A process's live managed heap, read with dotnet-gcdump (a full blocking collection first, so the figure is live
/// objects only: what bench/idle-sessions.sh measures): <c>collect -p pid</c>, then the report's "GC Heap bytes".
/// </summary>
internal static class HeapProbe
{
    /// <summary>The live heap in bytes, or null (and a line saying why) when the tool failed.</summary>
    public static async Task<long?> LiveBytesAsync(string tool, int pid, TextWriter output, CancellationToken cancellationToken)
    {
        string file = Path.Combine(Path.GetTempPath(), $"rtmfp-heap-{pid}-{Guid.NewGuid():n}.gcdump");
        try
        {
            if (await RunAsync(tool, ["collect", "-p", pid.ToString(CultureInfo.InvariantCulture), "-o", file], cancellationToken).ConfigureAwait(false) is null)
            {
                output.WriteLine($"{tool} collect failed for process {pid}");
                return null;
            }
            string? report = await RunAsync(tool, ["report", file], cancellationToken).ConfigureAwait(false);
            long? bytes = report is null ? null : ParseReport(report);
            if (bytes is null)
            {
                output.WriteLine($"{tool} report: no 'GC Heap bytes' line");
            }
            return bytes;
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The first field of the line naming "GC Heap bytes" (digits with thousands separators).</summary>
    public static long? ParseReport(string report)
    {
        foreach (string line in report.Split('\n'))
        {
            if (line.Contains("GC Heap bytes", StringComparison.Ordinal)
                && long.TryParse(line.Trim().Split(' ', 2)[0], NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out long bytes))
            {
                return bytes;
            }
        }
        return null;
    }

    private static async Task<string?> RunAsync(string tool, string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start);
        if (process is null)
        {
            return null;
        }
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        _ = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return process.ExitCode == 0 ? await stdout.ConfigureAwait(false) : null;
    }
}
