using System.CommandLine;

namespace Rtmfp.ClientCli;

/// <summary>How every subcommand runs: its settings bound from the parse result, written to the invocation's output.</summary>
internal static class CommandActions
{
    public static Command RunsWith<TSettings>(this Command command, Func<ParseResult, TSettings> bind,
        Func<TSettings, TextWriter, CancellationToken, Task<int>> run)
    {
        command.SetAction((result, ct) => run(bind(result), result.InvocationConfiguration.Output, ct));
        return command;
    }

    /// <summary>Waits for <paramref name="wait"/>; false, and says what had not happened yet, when the user interrupted first.</summary>
    public static async Task<bool> CompletesAsync(Task wait, TextWriter output, string interruptedBefore)
    {
        try
        {
            await wait.ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            output.WriteLine($"interrupted before {interruptedBefore}");
            return false;
        }
    }
}

/// <summary>
/// A subcommand in a class of its own that connects to the server named by the shared URI argument: it binds the
/// root's connection options with its own, and builds its <see cref="Command"/> in its constructor.
/// </summary>
internal abstract class ConnectedCommand(Func<ParseResult, ConnectSettings> bindConnect)
{
    public Command Command { get; protected set; } = null!;

    protected ConnectSettings BindConnect(ParseResult result) => bindConnect(result);
}
