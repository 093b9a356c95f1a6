using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Rtmfp.Integration.Tests.Support;

/// <summary>
/// A client command run as its own process (e.g. the <c>rtmfp</c> CLI inside a network namespace through
/// <c>ip netns exec</c>): its lines are kept as printed, so a test can wait for one while it still runs.
/// </summary>
public sealed class ClientProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines;

    private ClientProcess(Process process)
    {
        _process = process;
        _lines = KeepLines(process);
    }

    /// <summary>Keeps every line <paramref name="process"/> prints on stdout and stderr, as they arrive.</summary>
    internal static ConcurrentQueue<string> KeepLines(Process process)
    {
        var lines = new ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return lines;
    }

    public IReadOnlyCollection<string> Lines => _lines;

    public string Output => string.Join(Environment.NewLine, _lines);

    public static ClientProcess Start(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        return new ClientProcess(Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}"));
    }

    /// <summary>The first line matching <paramref name="pattern"/>; fails with the output when the process ends or time runs out first.</summary>
    public async Task<Match> WaitForLineAsync(Regex pattern, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            foreach (var line in _lines)
            {
                var match = pattern.Match(line);
                if (match.Success)
                {
                    return match;
                }
            }
            if (_process.HasExited || clock.Elapsed > timeout)
            {
                throw new TimeoutException($"no line '{pattern}'{(_process.HasExited ? $" (exited {_process.ExitCode})" : "")}:{Environment.NewLine}{Output}");
            }
            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>
    /// SIGTERM: the <c>rtmfp</c> CLI ends its command as its own deadline would (load: sessions close, the summary is
    /// printed, the exit code says whether anything was lost). <c>ip netns exec</c> execs the command: the pid is the CLI's.
    /// </summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    /// <summary>The exit code, once the process ended (and its output was read to the end).</summary>
    public async Task<int> ExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken).WaitAsync(timeout, cancellationToken);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
