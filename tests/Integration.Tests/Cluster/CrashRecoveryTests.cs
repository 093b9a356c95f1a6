using System.Diagnostics;
using System.Net;
using Rtmfp.Client;
using Rtmfp.Client.Flash;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Integration.Tests.Cluster;

/// <summary>
/// Issue 9's crash acceptance through the real UDP balancer (docs/load-balancer.md): three node processes on Redis behind
/// the kube-proxy-like balancer, echo clients, a publisher and players in the client namespace, their sessions spread
/// over the nodes by session ID and their flows over the gateways. A node is SIGKILLed (an ordinary one, or the oldest,
/// which hosts the shard coordinators); the controller takes its gateway out of the service. Asserted, with the default
/// failure detector and downing settings: every session that lived on the dead node answers again within 10 s of the kill
/// on the same session (no new handshake), players get video again, the publisher hears nothing but its Publish.Start,
/// and a brand-new client started at the kill opens its session through the balancer within 10 s, for an ordinary node
/// and for the oldest one (which hosts the shard coordinators).
/// </summary>
[Collection(ClusterCollection.Name)]
public class CrashRecoveryTests
{
    private const int EchoClients = 9;
    private const int Players = 3;

    /// <summary>
    /// Issue 9's bound for both: sessions resumed and new handshakes, seconds after the kill. The oldest node's sessions
    /// wait for the coordinators' takeover on top (removal margin and the coordinator's start, about 1.5 s): 7.2–8.2 s
    /// alone on the idle 2-core VM once the gateways held what arrived meanwhile (HeldPackets, AwaitingKeys; 8.0–9.2 s
    /// before), ordinary nodes 6.8–8.2 s (docs/decisions.md "Crash recovery timing").
    /// </summary>
    private const double Bound = 10;

    private const string Completed = "rtmfp.handshake.completed";
    private const string Retried = "rtmfp.handshake.retried";

    [Fact(Timeout = 150_000)]
    public Task An_ordinary_node_dies_under_load_and_its_sessions_resume_within_10_s() => CrashAsync(oldest: false);

    [Fact(Timeout = 150_000)]
    public Task The_oldest_node_dies_under_load_and_its_sessions_resume_within_10_s() => CrashAsync(oldest: true);

    private static async Task CrashAsync(bool oldest)
    {
        if (UdpBalancer.WhyUnavailable() is { } why)
        {
            Assert.Skip(why);
        }
        var ct = TestContext.Current.CancellationToken;
        await using var lb = await UdpBalancer.CreateAsync(3, masquerade: false, ct);
        var nodes = await NodeProcess.StartThreeAsync(i => lb.Gateways[i], RedisPersistence());
        var echoes = new List<EchoLoad>();
        var flash = new List<FlashNetConnection>();
        using var stop = new CancellationTokenSource();
        LiveSession? stream = null;
        try
        {
            await lb.SetEndpointsAsync([0, 1, 2], BalancerMode.Nth, ct);
            var clock = Stopwatch.StartNew();
            echoes.AddRange(await EchoLoad.StartAsync(() => Connect(lb, TimeSpan.FromSeconds(60)), EchoClients, clock));
            stream = await LiveAsync(lb, flash, clock, stop.Token, ct);
            await LiveStream.WaitUntil(() => echoes.All(e => e.Answers > 0) && stream.Watches.All(w => w.LastVideoAt > 0), TimeSpan.FromSeconds(30));
            // Each handshake completed on the RIKeying the gateway sent when its session opened, from the endpoint the
            // IIKeying came to (the node also serves 127.0.0.1, whose socket cannot reach the client), not on the answer
            // to the client's IIKeying retransmission a second later (RFC 7016 §3.5.1.1.1): every one took 1.0 s before.
            // The first sessions meet three cold node processes (JIT, each shard's first allocation): 0.58-0.90 s seen on
            // the 2-core CI machine for the first three, 0.02-0.03 s for those after, so the bound holds from the fourth.
            var handshakeTimes = echoes.Select(e => e.Connection.HandshakeTime.TotalSeconds).ToList();
            string handshakeFigures = string.Join(", ", handshakeTimes.Select(t => t.ToString("F2")));
            Assert.True(handshakeTimes.Skip(nodes.Length).All(t => t < 0.9), $"handshake times {handshakeFigures} s");

            var (victim, affected, affectedPlayers) = await VictimAsync(nodes, oldest, echoes, stream, ct);
            var survivors = nodes.Where(n => n != victim).ToArray();
            long completedBefore = await TotalAsync(survivors, Completed, ct);
            long retriedBefore = await TotalAsync(survivors, Retried, ct);
            await using var controller = new BalancerController(lb, nodes, BalancerMode.Nth, TimeSpan.FromMilliseconds(250), threshold: 3);

            double killedAt = clock.Elapsed.TotalSeconds;
            var killedUtc = DateTime.UtcNow;
            victim.Kill();
            // A brand-new client at the moment of the kill: its IHello may first go to the dead gateway.
            var newcomer = Connect(lb, TimeSpan.FromSeconds(30)).ContinueWith(t => (t, clock.Elapsed.TotalSeconds - killedAt), TaskScheduler.Default);

            await LiveStream.WaitUntil(() => echoes.All(e => e.ClosedAt is not null || e.FirstAnswerAfter(killedAt + 0.5) is not null)
                && stream.Watches.All(w => w.LastVideoAt > killedAt + Bound + 1), TimeSpan.FromSeconds(50));
            var (opened, newAfter) = await newcomer.WaitAsync(TimeSpan.FromSeconds(40), ct);
            await using var newConnection = await opened;

            // Answers already on their way at the kill aside: when each affected session answered again, and its longest silence.
            var resumed = affected.Select(e => (e.FirstAnswerAfter(killedAt + 0.5) ?? double.PositiveInfinity) - killedAt).Order().ToList();
            double longestSilence = affected.Select(e => e.LongestSilenceSince(killedAt)).DefaultIfEmpty(0).Max();
            var videoGaps = stream.Watches.Select(w => w.LongestGapSince(killedAt)).ToList();
            var publisherStatuses = LiveStream.TakeStatuses(stream.Publish);
            long handshakes = await TotalAsync(survivors, Completed, ct) - completedBefore;
            long retried = await TotalAsync(survivors, Retried, ct) - retriedBefore;
            int ResumedLogged() => survivors.Sum(n => n.Output.Count(l => l.Contains("resumed with", StringComparison.Ordinal)));
            await NodeProcess.EventuallyAsync(() => ResumedLogged() >= affected.Count + affectedPlayers, TimeSpan.FromSeconds(5));
            int resumedLogged = ResumedLogged();
            string report = $"handshakes before the kill {handshakeFigures} s; " +
                $"{(oldest ? "oldest" : "ordinary")} node killed at {killedUtc:HH:mm:ss.fff} UTC, hosting {affected.Count} of {EchoClients} echo sessions and " +
                $"{affectedPlayers} of {Players + 1} Flash sessions; echo answering again after {Figures(resumed)} s (longest silence {longestSilence:F1} s); longest video gap per " +
                $"player {string.Join(", ", videoGaps.Select(g => g.ToString("F1")))} s; new client's session open {newAfter:F1} s after the kill; " +
                $"handshakes on the survivors meanwhile {handshakes} (keyings retried {retried}); resumed (node logs) {resumedLogged}; " +
                $"gateway out of the balancer {(controller.Removed(Array.IndexOf(nodes, victim)).IsCompleted ? "yes" : "no")}; " +
                $"publisher statuses [{string.Join(", ", publisherStatuses)}]";
            TestContext.Current.TestOutputHelper?.WriteLine(report);

            Assert.True(affected.Count + affectedPlayers > 0, "the victim hosted none of the sessions: " + report);
            Assert.All(echoes, e => Assert.Null(e.ClosedAt));
            Assert.All(flash, c => Assert.False(c.Closed.IsCompleted, report));
            Assert.True(resumed.Count == 0 || resumed[^1] < Bound, report);
            Assert.True(longestSilence < Bound, report);
            // Every player gets video again (waited for above). One whose gateway died sends nothing until its keepalive
            // (RtmfpClientOptions.PlayingKeepaliveInterval, 3 s once it plays) and only then reaches a live gateway: it is
            // held to the bound plus that interval.
            var playerBound = Bound + new RtmfpClientOptions().PlayingKeepaliveInterval.TotalSeconds;
            Assert.All(videoGaps, g => Assert.True(g < playerBound, report));
            // New handshakes are held to issue 9's 10 s for the oldest node too: a stalled or degraded-time keying picks a
            // session ID in a shard whose home this node's region knows (AnsweringShards), not one waiting for a coordinator.
            Assert.True(newAfter < Bound, report);
            // No session opened again: the only handshakes are the newcomer's (and sessions its retried keyings opened).
            Assert.InRange(handshakes, 1, 1 + retried);
            Assert.True(resumedLogged >= affected.Count + affectedPlayers, report);
            Assert.All(publisherStatuses, code => Assert.Equal(StatusCode.PublishStart, code));
            Assert.True(publisherStatuses.Count <= 1, report);
        }
        finally
        {
            stop.Cancel();
            await (stream?.Sending ?? Task.CompletedTask).ContinueWith(_ => { });
            await LiveStream.DisposeAllAsync(echoes, flash, nodes);
        }
    }

    /// <summary>The node to kill (the coordinators' host, or the busiest other one) and the sessions it hosts.</summary>
    private static async Task<(NodeProcess Victim, List<EchoLoad> Echoes, int FlashSessions)> VictimAsync(
        NodeProcess[] nodes, bool oldest, List<EchoLoad> echoes, LiveSession stream, CancellationToken ct)
    {
        string coordinator = await nodes[0].CoordinatorAsync("session", ct) ?? throw new InvalidOperationException("no session coordinator");
        var candidates = nodes.Where(n => (n.Address == coordinator) == oldest).ToList();
        (NodeProcess, List<EchoLoad>, int) best = (candidates[0], [], -1);
        foreach (var node in candidates)
        {
            var hosted = new List<EchoLoad>();
            foreach (var echo in echoes)
            {
                if (await node.HostsEntityAsync("session", echo.EntityId, ct))
                {
                    hosted.Add(echo);
                }
            }
            int flashHosted = 0;
            foreach (var connection in stream.Connections)
            {
                flashHosted += await node.HostsEntityAsync("session", LiveStream.SessionEntity(connection), ct) ? 1 : 0;
            }
            if (hosted.Count + flashHosted > best.Item2.Count + best.Item3)
            {
                best = (node, hosted, flashHosted);
            }
        }
        return best;
    }

    /// <summary>A publisher sending 25 frames a second and <see cref="Players"/> players of its stream, all through the balancer.</summary>
    private static async Task<LiveSession> LiveAsync(UdpBalancer lb, List<FlashNetConnection> flash, Stopwatch clock, CancellationToken stop, CancellationToken ct)
    {
        string name = $"crash-{Guid.NewGuid():n}";
        var publisher = await ConnectFlash(lb, flash, ct);
        var publish = await publisher.CreateStreamAsync(ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        await publish.PublishAsync(name, cancellationToken: ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        var sending = LiveStream.PublishAsync(publish, stop);
        var watches = new List<VideoWatch>();
        for (int i = 0; i < Players; i++)
        {
            var player = await ConnectFlash(lb, flash, ct);
            var play = await player.CreateStreamAsync(ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
            await play.PlayAsync(name, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
            watches.Add(LiveStream.WatchVideo(play, clock, stop));
        }
        return new LiveSession(publish, watches, [.. flash], sending);
    }

    private static async Task<FlashNetConnection> ConnectFlash(UdpBalancer lb, List<FlashNetConnection> flash, CancellationToken ct)
    {
        var rtmfp = await Connect(lb, TimeSpan.FromSeconds(60)).WaitAsync(TimeSpan.FromSeconds(90), ct);
        var connection = await FlashNetConnection.ConnectAsync(rtmfp, lb.Uri("live"), ownsConnection: true, cancellationToken: ct)
            .WaitAsync(TimeSpan.FromSeconds(30), ct);
        flash.Add(connection);
        return connection;
    }

    /// <summary>A session to the balancer's virtual IP from the client namespace (the client's loop and socket live there).</summary>
    private static Task<RtmfpConnection> Connect(UdpBalancer lb, TimeSpan timeout)
    {
        var uri = RtmfpUri.Parse(lb.Uri("live"));
        var candidates = new[] { new IPEndPoint(lb.VirtualIp, UdpBalancer.Port) };
        return lb.StartInClientNamespace(() => RtmfpConnection.ConnectAsync(candidates, uri.CreateEndpointDiscriminator(),
            new RtmfpClientOptions { ConnectTimeout = timeout }));
    }

    private static (string, string)[] RedisPersistence()
    {
        string redis = TestRedis.ConnectionString;
        return [("RTMFP_Persistence__Provider", "Redis"), ("RTMFP_Persistence__Redis", redis), ("RTMFP_Persistence__KeyPrefix", $"crash-{Guid.NewGuid():N}:")];
    }

    private static async Task<long> TotalAsync(IEnumerable<NodeProcess> nodes, string counter, CancellationToken ct)
    {
        long total = 0;
        foreach (var node in nodes)
        {
            total += (await node.RtmfpTotalsAsync(ct)).GetValueOrDefault(counter);
        }
        return total;
    }

    private static string Figures(List<double> values) =>
        values.Count == 0 ? "-" : $"{values[0]:F1}–{values[^1]:F1} (median {values[values.Count / 2]:F1})";

    private sealed record LiveSession(FlashNetStream Publish, List<VideoWatch> Watches, List<FlashNetConnection> Connections, Task Sending);
}
