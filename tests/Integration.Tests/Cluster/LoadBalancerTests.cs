using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Rtmfp.Integration.Tests.Support;

namespace Rtmfp.Integration.Tests.Cluster;

/// <summary>
/// Three node processes behind a real UDP load balancer in network namespaces, built as kube-proxy builds one
/// (iptables DNAT picked by <c>statistic</c>, conntrack, masquerade; docs/load-balancer.md), with the <c>rtmfp</c>
/// CLI as a process in a client namespace talking to the virtual IP only (issue 9).
/// </summary>
[Collection(ClusterCollection.Name)]
public partial class LoadBalancerTests
{
    // Counted by the session actor, on the node that hosts the session (placed by session ID, whatever the gateway).
    private const string Completed = "rtmfp.handshake.completed";

    // Counted by a node's gateway: IHellos it answered (RHello), keyings it retried under another session ID, datagrams.
    private const string Started = "rtmfp.handshake.started";
    private const string PacketsIn = "rtmfp.gateway.packets{receive}";
    private const string Retried = "rtmfp.handshake.retried";

    [Fact(Timeout = 240_000)]
    public Task Clients_spread_over_the_gateways_and_clients_moved_by_a_conntrack_flush_carry_on_without_a_new_handshake() =>
        BehindBalancerAsync(masquerade: true, BalancerMode.Nth, async (lb, nodes, ct) =>
        {
            const int sessions = 9;
            // The load runs until the checks below are done (SIGTERM then ends it as its deadline would); 120 s from the
            // CLI's start is only a bound, room for its start, the handshakes and the move on a loaded machine.
            await using var load = lb.StartClient("load", lb.Uri("live"), "-c", $"{sessions}", "-d", "120", "-r", "20", "--timeout", "30");
            await load.WaitForLineAsync(new Regex($@"open {sessions}/{sessions}, handshakes {sessions} \(0 failed\)"), TimeSpan.FromSeconds(60), ct);

            // (a) The balancer sent every third new flow to each gateway, and each node's gateway answered their IHellos
            // (once each, more if an IHello came again); the sessions themselves live where their IDs put them.
            var flows = await lb.FlowsAsync(ct);
            var perGateway = lb.Gateways.Select(g => flows.Count(f => f.Gateway.Equals(g.Address))).ToArray();
            var hellos = await TotalsAsync(nodes, Started, ct);
            var opened = await TotalsAsync(nodes, Completed, ct);
            string spread = $"flows per gateway {string.Join('/', perGateway)}, IHellos answered per gateway {string.Join('/', hellos)}, " +
                $"sessions opened per node {string.Join('/', opened)}";
            Assert.True(perGateway.All(n => n == sessions / 3), spread);
            Assert.True(hellos.All(n => n >= sessions / 3), spread);
            Assert.Equal(sessions, opened.Sum());
            Assert.All(flows, f => Assert.Equal(lb.ClientAddress, f.Client));
            Assert.All(flows, f => Assert.Equal(lb.BalancerBackendAddress, f.SeenFrom)); // masqueraded

            // (b) Gateway 0 leaves the service and its flows' conntrack entries are deleted: each flow's next packet is
            // balanced again, reaches gateway 1 or 2, and its session goes on there (the gateway fetches its keys).
            var moving = flows.Where(f => f.Gateway.Equals(lb.Gateways[0].Address)).Select(f => f.ClientPort).ToHashSet();
            await lb.SetEndpointsAsync([1, 2], BalancerMode.Nth, ct);
            var sinceFlush = Stopwatch.StartNew();
            int deleted = await lb.DeleteFlowsAsync(lb.Gateways[0], ct);
            Assert.Equal(moving.Count, deleted);
            double moved = await UntilAsync(async () =>
            {
                var now = await lb.FlowsAsync(ct);
                return moving.All(p => now.Any(f => f.ClientPort == p && f.Replied && !f.Gateway.Equals(lb.Gateways[0].Address)));
            }, sinceFlush, TimeSpan.FromSeconds(15), ct);

            // Nothing reaches gateway 0 any more: its node's datagram count stands still while the load goes on.
            long before = (await nodes[0].RtmfpTotalsAsync(ct))[PacketsIn];
            await Task.Delay(2000, ct);
            long after = (await nodes[0].RtmfpTotalsAsync(ct))[PacketsIn];

            load.Terminate();
            Assert.Equal(0, await load.ExitAsync(TimeSpan.FromSeconds(60), ct));
            var summary = Regex.Match(load.Output, @"handshakes ok (\d+), failed (\d+)");
            var ends = Regex.Match(load.Output, @"mismatches: (\d+), sessions lost: (\d+)");
            var roundTrips = Regex.Match(load.Output, @"round trips: (\d+) of (\d+) sent");
            var hellosAfter = await TotalsAsync(nodes, Started, ct);
            var openedAfter = await TotalsAsync(nodes, Completed, ct);
            string report = $"{spread}; {deleted} flows moved off gateway 0, all answered by another gateway {moved:F2} s after the flush; " +
                $"gateway 0 datagrams in 2 s after the move: {after - before}; at the end IHellos answered {string.Join('/', hellosAfter)}, " +
                $"sessions opened {string.Join('/', openedAfter)}; " +
                $"{roundTrips.Value}; lowest per-second rate once all were open {LowestRate(load.Lines):0} rt/s; {ends.Value}";
            TestContext.Current.TestOutputHelper?.WriteLine(report);
            Assert.Equal($"handshakes ok {sessions}, failed 0", summary.Value);
            Assert.Equal("mismatches: 0, sessions lost: 0", ends.Value);
            // No new handshake anywhere: no IHello reached any gateway after the move, no session was opened again.
            Assert.Equal(hellos, hellosAfter);
            Assert.Equal(opened, openedAfter);
            Assert.True(after == before, report);
        });

    [Fact(Timeout = 240_000)]
    public Task A_gateway_whose_node_died_leaves_the_balancer_and_new_clients_handshake_on_the_survivors() =>
        BehindBalancerAsync(masquerade: false, BalancerMode.Random, async (lb, nodes, ct) =>
        {
            const int sessions = 8;
            string[] command = ["load", lb.Uri("live"), "-c", $"{sessions}", "-d", "90", "-r", "2", "--timeout", "60"];
            var allOpen = new Regex($@"open {sessions}/{sessions}, handshakes {sessions} \(0 failed\)");

            // The same clients before the crash, for comparison: the CLI's start and its handshakes on a healthy cluster.
            var baseline = Stopwatch.StartNew();
            await using (var healthy = lb.StartClient(command))
            {
                await healthy.WaitForLineAsync(allOpen, TimeSpan.FromSeconds(60), ct);
            }
            double healthyOpen = baseline.Elapsed.TotalSeconds;
            await lb.DeleteFlowsAsync(null, ct); // that client is gone: from here on, the balancer's flows are the new clients'
            var survivors = nodes[..2];
            var before = await TotalsAsync(survivors, Started, ct);
            var retriedBefore = await TotalsAsync(survivors, Retried, ct);

            // The node behind gateway 2 dies. The controller (Kubernetes: a probe, the endpoints controller, kube-proxy)
            // sees it fail three probes 250 ms apart, takes its gateway out of the service and deletes its UDP entries.
            await using var controller = new BalancerController(lb, nodes, BalancerMode.Random, TimeSpan.FromMilliseconds(250), threshold: 3);
            var sinceKill = Stopwatch.StartNew();
            nodes[2].Kill();
            await controller.Removed(2).WaitAsync(TimeSpan.FromSeconds(30), ct);
            double removed = sinceKill.Elapsed.TotalSeconds;

            // New clients: every handshake must land on a survivor and succeed (the client keeps trying for 60 s).
            await using var load = lb.StartClient(command);
            await load.WaitForLineAsync(new Regex(@"handshakes [1-9]"), TimeSpan.FromSeconds(90), ct); // printed every second
            double first = sinceKill.Elapsed.TotalSeconds;
            await load.WaitForLineAsync(allOpen, TimeSpan.FromSeconds(90), ct);
            double all = sinceKill.Elapsed.TotalSeconds;

            // The survivors' gateways answered every new client's IHello (more than once where one came again); keyings
            // are retried under another session ID while the dead node's shards are homed anew.
            var after = await TotalsAsync(survivors, Started, ct);
            long retried = (await TotalsAsync(survivors, Retried, ct)).Sum() - retriedBefore.Sum();
            var flows = await lb.FlowsAsync(ct);
            string report = $"gateway 2 out of the balancer {removed:F2} s after the kill; first new session open by {first:F1} s (1 s resolution), " +
                $"all {sessions} open at {all:F1} s (the same command took {healthyOpen:F1} s before the kill); IHellos answered by the survivors' gateways {string.Join('/', after.Zip(before, (a, b) => a - b))}, " +
                $"handshakes keyed again {retried}; flows to gateway 2: {flows.Count(f => f.Gateway.Equals(lb.Gateways[2].Address))} of {flows.Count}";
            TestContext.Current.TestOutputHelper?.WriteLine(report);
            Assert.True(after.Sum() - before.Sum() >= sessions, report);
            Assert.Equal(sessions, flows.Count);
            Assert.DoesNotContain(flows, f => f.Gateway.Equals(lb.Gateways[2].Address));
            Assert.All(flows, f => Assert.Equal(lb.ClientAddress, f.SeenFrom)); // not masqueraded: the gateways saw the client's own address
            // Issue 9: new handshakes within 10 s of the kill. The CLI starts its process and handshakes after the kill; what
            // that takes on a healthy cluster (healthyOpen) is not the crash's.
            Assert.True(all < 10 + healthyOpen, report);
        });

    /// <summary>
    /// Three node processes behind a new balancer whose service has all three gateways, picked by <paramref name="mode"/>;
    /// everything is stopped and deleted afterwards, whatever happens. Skipped (saying why) where it cannot be built.
    /// </summary>
    private static async Task BehindBalancerAsync(bool masquerade, BalancerMode mode, Func<UdpBalancer, NodeProcess[], CancellationToken, Task> test)
    {
        if (UdpBalancer.WhyUnavailable() is { } why)
        {
            Assert.Skip(why);
        }
        var ct = TestContext.Current.CancellationToken;
        await using var lb = await UdpBalancer.CreateAsync(3, masquerade, ct);
        var nodes = await NodeProcess.StartThreeAsync(i => lb.Gateways[i]);
        try
        {
            await lb.SetEndpointsAsync([0, 1, 2], mode, ct);
            await test(lb, nodes, ct);
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    private static async Task<long[]> TotalsAsync(IEnumerable<NodeProcess> nodes, string counter, CancellationToken ct)
    {
        var totals = new List<long>();
        foreach (var node in nodes)
        {
            totals.Add((await node.RtmfpTotalsAsync(ct)).GetValueOrDefault(counter));
        }
        return [.. totals];
    }

    /// <summary>Polls <paramref name="done"/> every 50 ms; the seconds on <paramref name="clock"/> when it held.</summary>
    private static async Task<double> UntilAsync(Func<Task<bool>> done, Stopwatch clock, TimeSpan limit, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (!await done())
        {
            if (deadline.Elapsed > limit)
            {
                throw new TimeoutException($"not within {limit}");
            }
            await Task.Delay(50, ct);
        }
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>The lowest round-trip rate among the load's whole-second lines once every session was open (the last, partial one aside).</summary>
    private static double LowestRate(IEnumerable<string> lines)
    {
        var rates = lines.Select(l => RateLine().Match(l)).Where(m => m.Success && m.Groups[1].Value == m.Groups[2].Value)
            .Select(m => double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture)).ToList();
        return rates.Count > 1 ? rates.SkipLast(1).Min() : double.NaN;
    }

    [GeneratedRegex(@"open (\d+)/(\d+), handshakes \d+ \(\d+ failed\), (\d+) rt/s")]
    private static partial Regex RateLine();
}
