using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Rtmfp.Integration.Tests.Support;

/// <summary>How the balancer picks a gateway for a new flow (iptables <c>statistic</c> match).</summary>
public enum BalancerMode
{
    /// <summary>kube-proxy's iptables mode: rule i of n matches with probability 1/(n-i).</summary>
    Random,

    /// <summary>Round robin (rule i of n matches every (n-i)th flow that reaches it): an exact spread for assertions.</summary>
    Nth,
}

/// <summary>
/// One UDP conntrack entry of the balancer: the client's source port, the gateway the flow was sent to, the address the
/// gateway saw it from (the balancer's with masquerade, else the client's) and whether the gateway answered.
/// </summary>
public sealed record ConntrackFlow(IPAddress Client, int ClientPort, IPAddress Gateway, IPAddress SeenFrom, bool Replied);

/// <summary>
/// A UDP load balancer built the way kube-proxy builds one (docs/load-balancer.md): network namespaces joined by veth
/// pairs, a client namespace whose traffic goes to a virtual IP, and a balancer namespace that DNATs each new UDP flow
/// to one gateway with iptables <c>statistic</c> rules, keeps the flow on that gateway with conntrack (replies are
/// un-NATed on their way back, so the client always sees the virtual IP). Replies return through it either because
/// it masquerades toward the gateways (kube-proxy's <c>externalTrafficPolicy: Cluster</c>) or, keeping the client's
/// address (<c>Local</c>), because the gateways' host routes the clients' subnet through it. The gateways are addresses
/// on the root namespace's end of a veth, where the node processes bind them. Everything is deleted on dispose;
/// namespaces left by a test process that died are swept.
/// </summary>
public sealed partial class UdpBalancer : IAsyncDisposable
{
    public const int Port = 1935;
    private const string Prefix = "rtmfp-lb-";

    /// <summary>Balancers not disposed yet: a test that timed out may never dispose its own, so the process does at exit.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<UdpBalancer, byte> Live = new();

    static UdpBalancer() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var balancer in Live.Keys)
        {
            balancer.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
        }
    };

    private readonly string _id;
    private readonly string _backendLink;

    private UdpBalancer(string id, int a, int b, int gateways)
    {
        _id = id;
        ClientNamespace = $"{Prefix}{Environment.ProcessId}-{id}-c";
        BalancerNamespace = $"{Prefix}{Environment.ProcessId}-{id}-lb";
        _backendLink = $"rl{id}n1";
        ClientAddress = IPAddress.Parse($"10.{a}.{b}.2");
        BalancerBackendAddress = IPAddress.Parse($"10.{a}.{b + 1}.1");
        VirtualIp = IPAddress.Parse($"10.{a}.{b + 2}.1");
        Gateways = Enumerable.Range(0, gateways).Select(i => new IPEndPoint(IPAddress.Parse($"10.{a}.{b + 1}.{11 + i}"), Port)).ToArray();
    }

    public string ClientNamespace { get; }

    public string BalancerNamespace { get; }

    /// <summary>The clients' own address (each client process sends from its own ports).</summary>
    public IPAddress ClientAddress { get; }

    /// <summary>The balancer's address toward the gateways: with masquerade, every flow reaches a gateway from here.</summary>
    public IPAddress BalancerBackendAddress { get; }

    /// <summary>The address clients send to (a Service's ClusterIP or load balancer IP).</summary>
    public IPAddress VirtualIp { get; }

    /// <summary>The gateways' endpoints in the root namespace, for the nodes' <c>Gateway:Endpoints</c>.</summary>
    public IReadOnlyList<IPEndPoint> Gateways { get; }

    /// <summary>Why the balancer cannot be built here (null when it can): it needs root for namespaces and iptables.</summary>
    public static string? WhyUnavailable() =>
        !OperatingSystem.IsLinux() ? "needs Linux network namespaces"
        : GetEuid() == 0 ? null : "needs root (network namespaces, veth, iptables); CI runs as root";

    /// <summary>
    /// Builds the namespaces and links; the balancer has no endpoint until <see cref="SetEndpointsAsync"/>.
    /// <paramref name="masquerade"/>: gateways see the balancer's address (and a port per flow) instead of the client's.
    /// </summary>
    public static async Task<UdpBalancer> CreateAsync(int gateways, bool masquerade, CancellationToken cancellationToken)
    {
        await SweepStaleAsync(cancellationToken);
        string id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3));
        var (a, b) = await FreeSubnetsAsync(cancellationToken);
        var balancer = new UdpBalancer(id, a, b, gateways);
        Live.TryAdd(balancer, 0);
        try
        {
            await balancer.BuildAsync(a, b, masquerade, cancellationToken);
            return balancer;
        }
        catch
        {
            await balancer.DisposeAsync();
            throw;
        }
    }

    private async Task BuildAsync(int a, int b, bool masquerade, CancellationToken ct)
    {
        string c0 = $"rl{_id}c0", c1 = $"rl{_id}c1", n0 = $"rl{_id}n0", lb = BalancerNamespace, cl = ClientNamespace;
        string[][] steps =
        [
            ["netns", "add", cl], ["netns", "add", lb],
            ["link", "add", c0, "type", "veth", "peer", "name", c1], ["link", "set", c0, "netns", cl], ["link", "set", c1, "netns", lb],
            ["link", "add", n0, "type", "veth", "peer", "name", _backendLink], ["link", "set", n0, "netns", lb],
            ["-n", cl, "addr", "add", $"{ClientAddress}/24", "dev", c0], ["-n", cl, "link", "set", c0, "up"], ["-n", cl, "link", "set", "lo", "up"],
            ["-n", cl, "route", "add", "default", "via", $"10.{a}.{b}.1"],
            ["-n", lb, "addr", "add", $"10.{a}.{b}.1/24", "dev", c1], ["-n", lb, "link", "set", c1, "up"], ["-n", lb, "link", "set", "lo", "up"],
            ["-n", lb, "addr", "add", $"{BalancerBackendAddress}/24", "dev", n0], ["-n", lb, "link", "set", n0, "up"],
        ];
        foreach (var step in steps)
        {
            await RunAsync("ip", step, ct);
        }
        foreach (var gateway in Gateways)
        {
            await RunAsync("ip", ["addr", "add", $"{gateway.Address}/24", "dev", _backendLink], ct);
        }
        await RunAsync("ip", ["link", "set", _backendLink, "up"], ct);
        if (!masquerade)
        {
            // Replies to a client's own address go back through the balancer, which un-DNATs them (the route goes with the link).
            await RunAsync("ip", ["route", "add", $"10.{a}.{b}.0/24", "via", BalancerBackendAddress.ToString(), "dev", _backendLink], ct);
        }
        // /proc/sys/net is the namespace's own (sysctl itself is procps, which a minimal Debian lacks).
        await RunAsync("ip", ["netns", "exec", lb, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"], ct);
        // The service: traffic to the virtual IP's port enters RTMFP-SVC (filled by SetEndpointsAsync); with masquerade,
        // flows leave toward the gateways as kube-proxy's KUBE-MARK-MASQ/KUBE-POSTROUTING send external traffic.
        await RestoreAsync(
            "*nat\n:RTMFP-SVC - [0:0]\n" +
            $"-A PREROUTING -d {VirtualIp}/32 -p udp --dport {Port} -j RTMFP-SVC\n" +
            (masquerade ? $"-A POSTROUTING -o {n0} -j MASQUERADE\n" : "") + "COMMIT\n", noflush: false, ct);
    }

    /// <summary>
    /// Replaces the service's endpoints in one atomic <c>iptables-restore</c> (as kube-proxy syncs its rules): one
    /// DNAT chain per gateway, picked per new flow by <paramref name="mode"/>. Flows already in conntrack keep their
    /// gateway (that is conntrack's job); <see cref="DeleteFlowsAsync"/> moves them.
    /// </summary>
    public Task SetEndpointsAsync(IReadOnlyList<int> gateways, BalancerMode mode, CancellationToken cancellationToken)
    {
        var rules = new StringBuilder("*nat\n:RTMFP-SVC - [0:0]\n");
        for (int i = 0; i < Gateways.Count; i++)
        {
            rules.Append($":RTMFP-SEP-{i} - [0:0]\n-A RTMFP-SEP-{i} -p udp -j DNAT --to-destination {Gateways[i]}\n");
        }
        for (int i = 0; i < gateways.Count; i++)
        {
            int left = gateways.Count - i;
            string pick = left == 1 ? ""
                : mode == BalancerMode.Random
                    ? $"-m statistic --mode random --probability {(1.0 / left).ToString("0.00000", System.Globalization.CultureInfo.InvariantCulture)} "
                    : $"-m statistic --mode nth --every {left} --packet 0 ";
            rules.Append($"-A RTMFP-SVC {pick}-j RTMFP-SEP-{gateways[i]}\n");
        }
        return RestoreAsync(rules.Append("COMMIT\n").ToString(), noflush: true, cancellationToken);
    }

    /// <summary>The balancer's UDP flows from clients to the virtual IP.</summary>
    public async Task<IReadOnlyList<ConntrackFlow>> FlowsAsync(CancellationToken cancellationToken)
    {
        var (_, output) = await RunAsync("ip", ["netns", "exec", BalancerNamespace, "conntrack", "-L", "-p", "udp", "--orig-dst", VirtualIp.ToString()], cancellationToken);
        var flows = new List<ConntrackFlow>();
        foreach (Match m in FlowLine().Matches(output))
        {
            flows.Add(new ConntrackFlow(IPAddress.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture),
                IPAddress.Parse(m.Groups[3].Value), IPAddress.Parse(m.Groups[4].Value), !m.Value.Contains("[UNREPLIED]", StringComparison.Ordinal)));
        }
        return flows;
    }

    /// <summary>
    /// Deletes the conntrack entries of flows sent to <paramref name="gateway"/> (kube-proxy does this for UDP when an
    /// endpoint goes away), or of every flow to the virtual IP when null: each flow's next packet is balanced again by
    /// the rules in force.
    /// </summary>
    public async Task<int> DeleteFlowsAsync(IPEndPoint? gateway, CancellationToken cancellationToken)
    {
        string[] args = ["netns", "exec", BalancerNamespace, "conntrack", "-D", "-p", "udp", "--orig-dst", VirtualIp.ToString()];
        // conntrack -D exits 1 when nothing matched; the count it prints says how many went.
        var (_, output) = await RunAsync("ip", gateway is null ? args : [.. args, "--reply-src", gateway.Address.ToString()], cancellationToken, allowFailure: true);
        var count = Regex.Match(output, @"(\d+) flow entries have been deleted");
        return count.Success ? int.Parse(count.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    /// <summary>The <c>rtmfp</c> CLI (built beside the tests) as a process in the client namespace.</summary>
    public ClientProcess StartClient(params string[] args) =>
        ClientProcess.Start("ip", ["netns", "exec", ClientNamespace, "dotnet", Path.Combine(AppContext.BaseDirectory, "rtmfp.dll"), .. args]);

    /// <summary>
    /// A UDP socket of the client namespace, for this process: created on a thread that joined the namespace for that
    /// moment (setns applies to the calling thread only; a socket stays in the namespace it was made in).
    /// </summary>
    public Socket CreateClientSocket()
    {
        Socket? socket = null;
        InClientNamespace(() =>
        {
            socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Any, 0));
        });
        return socket!;
    }

    /// <summary>
    /// Starts <paramref name="start"/> on a thread inside the client namespace and returns its task: threads it starts
    /// there (a .NET client's event loop) are born in the namespace, and so are the sockets they make.
    /// </summary>
    public Task<T> StartInClientNamespace<T>(Func<Task<T>> start)
    {
        Task<T>? task = null;
        InClientNamespace(() => task = start());
        return task!;
    }

    /// <summary>Runs <paramref name="action"/> on a new thread that joined the client namespace, and waits for it.</summary>
    private void InClientNamespace(Action action)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var home = File.OpenHandle("/proc/thread-self/ns/net");
                using var target = File.OpenHandle($"/var/run/netns/{ClientNamespace}");
                Enter(target);
                try
                {
                    action();
                }
                finally
                {
                    Enter(home);
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            throw new InvalidOperationException($"failed in {ClientNamespace}", failure);
        }

        static void Enter(Microsoft.Win32.SafeHandles.SafeFileHandle ns)
        {
            if (SetNs((int)ns.DangerousGetHandle(), 0x40000000 /* CLONE_NEWNET */) != 0)
            {
                throw new System.ComponentModel.Win32Exception(System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
            }
        }
    }

    /// <summary>The rtmfp:// address of the service.</summary>
    public string Uri(string app) => $"rtmfp://{VirtualIp}:{Port}/{app}";

    public async ValueTask DisposeAsync()
    {
        if (!Live.TryRemove(this, out _))
        {
            return;
        }
        // The root namespace's end first (synchronous), then the namespaces (their links go with them).
        await RunAsync("ip", ["link", "del", _backendLink], CancellationToken.None, allowFailure: true);
        await RunAsync("ip", ["netns", "del", BalancerNamespace], CancellationToken.None, allowFailure: true);
        await RunAsync("ip", ["netns", "del", ClientNamespace], CancellationToken.None, allowFailure: true);
    }

    private Task RestoreAsync(string rules, bool noflush, CancellationToken ct) =>
        RunAsync("ip", noflush ? ["netns", "exec", BalancerNamespace, "iptables-restore", "--noflush"] : ["netns", "exec", BalancerNamespace, "iptables-restore"], ct, stdin: rules);

    /// <summary>Namespaces of this harness whose test process is gone (killed before it could clean up).</summary>
    private static async Task SweepStaleAsync(CancellationToken ct)
    {
        var (_, list) = await RunAsync("ip", ["netns", "list"], ct);
        foreach (Match m in Regex.Matches(list, $@"^({Regex.Escape(Prefix)}(\d+)-([0-9a-f]+)-(?:c|lb))\b", RegexOptions.Multiline))
        {
            int pid = int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
            if (pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
            {
                await RunAsync("ip", ["link", "del", $"rl{m.Groups[3].Value}n1"], ct, allowFailure: true);
                await RunAsync("ip", ["netns", "del", m.Groups[1].Value], ct, allowFailure: true);
            }
        }
    }

    /// <summary>Three /24s (10.a.b, b+1, b+2) that no route of the root namespace already covers.</summary>
    private static async Task<(int A, int B)> FreeSubnetsAsync(CancellationToken ct)
    {
        var (_, routes) = await RunAsync("ip", ["-4", "route", "show", "table", "all"], ct);
        for (int attempt = 0; attempt < 50; attempt++)
        {
            int a = Random.Shared.Next(200, 250), b = Random.Shared.Next(0, 63) * 4;
            if (!Enumerable.Range(b, 3).Any(x => routes.Contains($"10.{a}.{x}.", StringComparison.Ordinal)) && !routes.Contains($"10.{a}.0.0/16", StringComparison.Ordinal))
            {
                return (a, b);
            }
        }
        throw new InvalidOperationException("no free 10.x.y.0/24 subnets for the balancer's links");
    }

    internal static async Task<(int Code, string Output)> RunAsync(string file, string[] args, CancellationToken ct, bool allowFailure = false, string? stdin = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null, UseShellExecute = false };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        string output = await stdout + await stderr;
        if (process.ExitCode != 0 && !allowFailure)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {output}{(stdin is null ? "" : Environment.NewLine + stdin)}");
        }
        return (process.ExitCode, output);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(int fd, int nstype);

    [GeneratedRegex(@"^udp\s.*?src=(\S+) dst=\S+ sport=(\d+) dport=\d+ .*?src=(\S+) dst=(\S+) ", RegexOptions.Multiline)]
    private static partial Regex FlowLine();
}
