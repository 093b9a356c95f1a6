using Rtmfp.Cluster;
using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Integration.Tests;

/// <summary>The node's SIGTERM path, on a real process: sessions get a Close Request, the node leaves and exits 0.</summary>
public class ShutdownTests
{
    [Fact(Timeout = 120_000)]
    public async Task Sigterm_closes_sessions_and_exits_cleanly()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        var dll = Path.Combine(AppContext.BaseDirectory, "rtmfp-node.dll");
        Assert.True(File.Exists(dll), dll);
        var psi = new ProcessStartInfo("dotnet", $"\"{dll}\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Port 0: the node binds an ephemeral port and logs it, so no port is found free and released before it binds.
        psi.Environment["RTMFP_Gateway__Endpoints"] = "127.0.0.1:0";
        psi.Environment["RTMFP_Gateway__HandshakeWorkers"] = "1";
        using var process = Process.Start(psi)!;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await BadInputTests.WaitUntil(() => output.Any(l => l.Contains("RTMFP listening")), TimeSpan.FromSeconds(30));
            var listening = output.Select(l => Regex.Match(l, @"RTMFP listening on udp (\S+)")).FirstOrDefault(m => m.Success);
            Assert.True(listening is not null, string.Join(Environment.NewLine, output));
            int port = IPEndPoint.Parse(listening.Groups[1].Value).Port;
            using var client = await RawInitiator.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), $"rtmfp://127.0.0.1:{port}/app", TimeSpan.FromSeconds(15));
            Assert.NotNull(client.Result);

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()]))
            {
                await kill!.WaitForExitAsync();
            }

            bool closeRequested = false;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!closeRequested && DateTime.UtcNow < deadline)
            {
                var types = await client.ReceiveChunkTypesAsync(TimeSpan.FromSeconds(1));
                closeRequested = types?.Contains(ChunkType.SessionCloseRequest) == true;
            }
            Assert.True(closeRequested, "no Session Close Request after SIGTERM");

            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await process.WaitForExitAsync(exit.Token);
            Assert.Equal(0, process.ExitCode);
            Assert.Contains(output, l => l.Contains("Exiting completed") || l.Contains("Leaving"));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
