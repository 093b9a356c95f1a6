using System.Diagnostics;
using Rtmfp.Client.Flash;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Integration.Tests.Cluster;

/// <summary>
/// SIGKILL of the node hosting a publisher's and a player's sessions (issue 9), persisted in Redis: both resume on the
/// survivors from their records (their NetConnections rebuilt from the commands they issued, silently), the player
/// receives video again on the same session, the publisher hears nothing but its first Publish.Start, and a call made
/// while the node was being decided gets its result.
/// </summary>
[Collection(ClusterCollection.Name)]
public class FlashSessionResumeTests
{
    [Fact(Timeout = 240_000)]
    public async Task A_publisher_and_a_player_whose_node_died_carry_on_without_a_new_handshake()
    {
        var redis = TestRedis.ConnectionString;
        var nodes = await NodeProcess.StartThreeAsync(("RTMFP_Persistence__Provider", "Redis"), ("RTMFP_Persistence__Redis", redis),
            ("RTMFP_Persistence__KeyPrefix", $"flash-resume-{Guid.NewGuid():N}:"));
        var clients = new List<FlashNetConnection>();
        using var stop = new CancellationTokenSource();
        try
        {
            var ct = TestContext.Current.CancellationToken;
            string uri = $"rtmfp://{nodes[0].Gateway}/live";
            // A publisher and a player whose sessions are both on node 1 or node 2 (the clients' gateway, node 0, stays).
            NodeProcess? victim = null;
            FlashNetConnection? player = null, publisher = null;
            FlashNetStream? publish = null, play = null;
            for (int attempt = 0; attempt < 40 && victim is null; attempt++)
            {
                var pair = await LiveStream.StartPairAsync(uri, $"resume-{attempt}-{Guid.NewGuid():n}", clients, ct);
                foreach (var candidate in nodes.Skip(1))
                {
                    if (await candidate.HostsEntityAsync("session", LiveStream.SessionEntity(pair.Publisher), ct)
                        && await candidate.HostsEntityAsync("session", LiveStream.SessionEntity(pair.Player), ct))
                    {
                        (victim, publisher, player, publish, play) = (candidate, pair.Publisher, pair.Player, pair.Publish, pair.Play);
                    }
                }
            }
            Assert.NotNull(victim);

            // 25 frames a second until the end of the test; the player notes when video arrives.
            var sending = LiveStream.PublishAsync(publish!, stop.Token);
            var clock = Stopwatch.StartNew();
            var video = LiveStream.WatchVideo(play!, clock, stop.Token);
            await LiveStream.WaitUntil(() => video.LastVideoAt > 0, TimeSpan.FromSeconds(30));

            double killedAt = clock.Elapsed.TotalSeconds;
            victim!.Kill();
            // A call in flight while the node is decided: answered once the session resumed elsewhere.
            var streamDuringOutage = player!.CreateStreamAsync(ct);
            await LiveStream.UntilVideoAfterAsync(video, killedAt + 2, TimeSpan.FromSeconds(60), clients, nodes.Where(n => n != victim));
            double videoAfter = video.LastVideoAt - killedAt;
            var created = await streamDuringOutage.WaitAsync(TimeSpan.FromSeconds(30), ct);
            double callAfter = clock.Elapsed.TotalSeconds - killedAt;
            int Resumed() => nodes.Sum(n => n.Output.Count(l => l.Contains("resumed with", StringComparison.Ordinal)));
            await NodeProcess.EventuallyAsync(() => Resumed() >= 2, TimeSpan.FromSeconds(5));
            int resumed = Resumed();
            string report = $"video again {videoAfter:F1} s after the kill; the call made during the outage answered by " +
                $"{callAfter:F1} s (stream {created.StreamId}); player statuses after play: [{string.Join(", ", video.Statuses)}]; resumed (node logs) {resumed}";
            TestContext.Current.TestOutputHelper?.WriteLine(report);

            Assert.False(player.Closed.IsCompleted, report);
            Assert.False(publisher!.Closed.IsCompleted, report);
            Assert.True(resumed >= 2, report);
            // The publisher heard nothing but its Publish.Start: no error, no request to publish again.
            var statuses = LiveStream.TakeStatuses(publish!);
            Assert.All(statuses, code => Assert.Equal(StatusCode.PublishStart, code));
            Assert.True(statuses.Count <= 1, report);
            Assert.True(created.StreamId > play!.StreamId, report);
            stop.Cancel();
            await sending;
            await video.Reading.ContinueWith(_ => { });
        }
        finally
        {
            stop.Cancel();
            await LiveStream.DisposeAllAsync(clients, nodes);
        }
    }
}
