using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Akka.Cluster;
using Rtmfp.Client.Flash;

namespace Rtmfp.Integration.Tests;

/// <summary>
/// How a node joins its cluster, as an operator meets it (issue 9): a busy remoting port and an unreachable seed stop
/// the process with a clear message and exit code, and a restarted seed listed with other seeds joins the cluster
/// that is still there instead of forming a second one.
/// </summary>
public class ClusterFormationTests
{
    private static readonly string NodeDll = Path.Combine(AppContext.BaseDirectory, "rtmfp-node.dll");

    /// <summary>Runs the node as its own process until it exits; returns its exit code and everything it printed.</summary>
    private static async Task<(int ExitCode, string Output)> RunNodeAsync(TimeSpan limit, params (string Name, string Value)[] environment)
    {
        Assert.True(File.Exists(NodeDll), NodeDll);
        var psi = new ProcessStartInfo("dotnet", $"\"{NodeDll}\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["RTMFP_Gateway__Endpoints"] = "127.0.0.1:0";
        psi.Environment["RTMFP_Gateway__HandshakeWorkers"] = "1";
        psi.Environment["RTMFP_Ops__Endpoint"] = "off";
        psi.Environment["RTMFP_Health__Endpoint"] = "off";
        foreach (var (name, value) in environment)
        {
            psi.Environment[name] = value;
        }
        using var process = Process.Start(psi)!;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var cts = new CancellationTokenSource(limit);
            await process.WaitForExitAsync(cts.Token);
            process.WaitForExit(); // drains the output readers
            return (process.ExitCode, string.Join(Environment.NewLine, output));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task A_busy_remoting_port_is_a_clear_error_naming_the_key()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start(); // held for the whole test: no port race
        int port = ((IPEndPoint)squatter.LocalEndpoint).Port;

        var (exit, output) = await RunNodeAsync(TimeSpan.FromSeconds(90), ("RTMFP_Cluster__Port", port.ToString()));

        Assert.Equal(2, exit);
        Assert.Contains($"rtmfp-node: Rtmfp:Cluster:Port: Akka remoting cannot listen on 127.0.0.1:{port}: the address is in use", output);
        Assert.DoesNotContain("Unhandled exception", output);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_node_whose_seeds_never_answer_says_why_and_exits_3()
    {
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        int port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop(); // nothing listens there now (a seed that is down)
        string seed = $"akka.tcp://rtmfp@127.0.0.1:{port}";
        var started = Stopwatch.StartNew();

        var (exit, output) = await RunNodeAsync(TimeSpan.FromSeconds(90),
            ("RTMFP_Cluster__SeedNodes", seed), ("RTMFP_Cluster__JoinTimeout", "00:00:03"));

        Assert.Equal(3, exit);
        Assert.Contains($"not a cluster member after 3 s: no seed of Rtmfp:Cluster:SeedNodes ({seed}) let this node in", output);
        Assert.InRange(started.Elapsed.TotalSeconds, 3, 60);
    }

    [Fact(Timeout = 180_000)]
    public async Task A_restarted_seed_listed_with_another_seed_joins_the_cluster_that_is_still_there()
    {
        // Each node lists both seeds, the restarted one first (docs/operations: list several seeds). Ports are
        // chosen here and held until the nodes bind them.
        int portA = FreeTcpPort(), portB = FreeTcpPort();
        string seeds = $"akka.tcp://rtmfp@127.0.0.1:{portA},akka.tcp://rtmfp@127.0.0.1:{portB}";
        RunningNode? a = null, b = null, a2 = null;
        try
        {
            a = await RunningNode.StartAsync(("Rtmfp:Cluster:Port", portA.ToString()), ("Rtmfp:Cluster:SeedNodes", seeds));
            b = await RunningNode.StartAsync(("Rtmfp:Cluster:Port", portB.ToString()), ("Rtmfp:Cluster:SeedNodes", seeds));
            await TwoNodes.WaitForAsync(() => Task.FromResult(TwoNodes.UpMembers(a) == 2 && TwoNodes.UpMembers(b) == 2), "both members Up", 40);

            await a.DisposeAsync(); // the seed leaves (a restart, a rolling update)
            a = null;
            a2 = await RunningNode.StartAsync(("Rtmfp:Cluster:Port", portA.ToString()), ("Rtmfp:Cluster:SeedNodes", seeds));

            // One cluster: the new incarnation of A is a member of B's cluster, not the leader of its own.
            await TwoNodes.WaitForAsync(() => Task.FromResult(TwoNodes.UpMembers(a2) == 2 && TwoNodes.UpMembers(b) == 2), "A again a member of B's cluster", 40);
            var stateB = Akka.Cluster.Cluster.Get(b.System).State;
            Assert.Contains(stateB.Members, m => m.Address.Equals(Akka.Cluster.Cluster.Get(a2.System).SelfAddress) && m.Status == MemberStatus.Up);

            // And it serves: a client of the restarted seed connects through the cluster's sharded sessions.
            await using var client = await FlashNetConnection.ConnectAsync($"rtmfp://{a2.Endpoint}/live").WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            await RunningNode.DisposeAllAsync(a2, b, a);
        }
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
