using System.CommandLine;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Rtmfp.ClientCli;

namespace Rtmfp.Integration.Tests.Support;

/// <summary>
/// One <c>rtmfp</c> command run in-process through the CLI's own parser and actions, its output captured as it is
/// written (a test can wait for a line while the command still runs, e.g. the peer ID <c>publish --p2p</c> prints).
/// </summary>
internal sealed class CliRun
{
    private readonly StringWriter _output = new();
    private readonly TextWriter _writer;

    private CliRun(string[] args, CancellationToken cancellationToken)
    {
        _writer = TextWriter.Synchronized(_output);
        var configuration = new InvocationConfiguration { Output = _writer, Error = _writer };
        Exit = Task.Run(() => new CliApp().Parse(args).InvokeAsync(configuration, cancellationToken), cancellationToken);
    }

    /// <summary>The command's exit code (<see cref="ExitCodes"/>).</summary>
    public Task<int> Exit { get; }

    /// <summary>Everything printed so far.</summary>
    public string Output
    {
        get
        {
            // TextWriter.Synchronized locks the wrapper for every write: reading under the same lock sees whole lines.
            lock (_writer)
            {
                return _output.ToString();
            }
        }
    }

    public static CliRun Start(CancellationToken cancellationToken, params string[] args) => new(args, cancellationToken);

    public static async Task<(int ExitCode, string Output)> RunAsync(CancellationToken cancellationToken, params string[] args)
    {
        var run = Start(cancellationToken, args);
        int code = await run.Exit;
        return (code, run.Output);
    }

    /// <summary>Polls the output until <paramref name="pattern"/> matches; fails with what was printed when the command ends or time runs out first.</summary>
    public async Task<Match> WaitForOutputAsync(Regex pattern, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var match = pattern.Match(Output);
            if (match.Success)
            {
                return match;
            }
            if (Exit.IsCompleted || clock.Elapsed > timeout)
            {
                throw new TimeoutException($"no '{pattern}' in the output{(Exit.IsCompleted ? " (the command ended)" : "")}:{Environment.NewLine}{Output}");
            }
            await Task.Delay(20, cancellationToken);
        }
    }
}
