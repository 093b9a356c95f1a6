using System.CommandLine;
using Rtmfp.ClientCli;

namespace Rtmfp.Client.Tests;

/// <summary>Runs one <c>rtmfp</c> command in-process and captures what it prints.</summary>
internal static class CliRun
{
    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var writer = TextWriter.Synchronized(output);
        int code = await new CliApp().Parse(args).InvokeAsync(new InvocationConfiguration { Output = writer, Error = writer },
            TestContext.Current.CancellationToken);
        return (code, output.ToString());
    }
}
