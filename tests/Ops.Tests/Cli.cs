using System.Text.Json;
using Rtmfp.OpsCli;

namespace Rtmfp.Ops.Tests;

/// <summary>Runs rtmfp-ops in-process against a port and captures what it prints.</summary>
public static class Cli
{
    public sealed record Outcome(int ExitCode, string Out, string Err)
    {
        public IReadOnlyList<JsonElement> JsonLines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

        public JsonElement Json => Assert.Single(JsonLines);
    }

    public static async Task<Outcome> RunAsync(int port, params string[] args) => await RunAsync(port, interactive: false, args);

    public static async Task<Outcome> RunAsync(int port, bool interactive, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await OpsCliApp.RunAsync(["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--timeout", "10", .. args], stdout, stderr, interactive);
        return new Outcome(code, stdout.ToString(), stderr.ToString());
    }

    internal static async Task<OpsClient> ConnectAsync(int port) => await OpsClient.ConnectAsync("127.0.0.1", port, TimeSpan.FromSeconds(5));
}
