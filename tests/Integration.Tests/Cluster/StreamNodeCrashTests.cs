using System.Diagnostics;
using Rtmfp.Client.Flash;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Integration.Tests.Cluster;

/// <summary>
/// SIGKILL of the node that holds a live stream's entity, while its publisher and player live on the other nodes
/// (issue 9): both sessions watch the entity, publish and subscribe again to its next incarnation on a surviving node,
/// and the player receives the stream again; the publisher is never told to republish.
/// </summary>
[Collection(ClusterCollection.Name)]
public class StreamNodeCrashTests
{
    [Fact(Timeout = 300_000)]
    public async Task A_stream_whose_entity_died_with_its_node_reaches_its_player_again()
    {
        var nodes = await NodeProcess.StartThreeAsync();
        var clients = new List<FlashNetConnection>();
        using var stop = new CancellationTokenSource();
        try
        {
            var ct = TestContext.Current.CancellationToken;
            string uri = $"rtmfp://{nodes[0].Gateway}/live";
            // A stream whose entity is on node 1 or 2, with its publisher's and player's sessions elsewhere.
            NodeProcess? victim = null;
            FlashNetStream? publish = null, play = null;
            string name = "";
            // Each attempt lands where the shard allocation puts it (about 3 in 10 fit); try for up to 90 s.
            var searching = Stopwatch.StartNew();
            for (int attempt = 0; victim is null && searching.Elapsed < TimeSpan.FromSeconds(90); attempt++)
            {
                name = $"crash-{attempt}-{Guid.NewGuid():n}";
                var (publisher, player, pairPublish, pairPlay) = await LiveStream.StartPairAsync(uri, name, clients, ct);
                (publish, play) = (pairPublish, pairPlay);
                foreach (var candidate in nodes.Skip(1))
                {
                    if (await candidate.HostsEntityAsync("stream", "live/" + name, ct)
                        && !await candidate.HostsEntityAsync("session", LiveStream.SessionEntity(publisher), ct)
                        && !await candidate.HostsEntityAsync("session", LiveStream.SessionEntity(player), ct))
                    {
                        victim = candidate;
                    }
                }
            }
            Assert.NotNull(victim);

            // 25 frames a second until the end of the test; the player counts what arrives and when.
            var sending = LiveStream.PublishAsync(publish!, stop.Token);
            var clock = Stopwatch.StartNew();
            var video = LiveStream.WatchVideo(play!, clock, stop.Token);
            await LiveStream.WaitUntil(() => video.LastVideoAt > 0, TimeSpan.FromSeconds(30));
            double killedAt = clock.Elapsed.TotalSeconds;
            victim!.Kill();

            // The frames stop while the entity's node is decided, then come again through its next incarnation.
            await LiveStream.UntilVideoAfterAsync(video, killedAt + 5, TimeSpan.FromSeconds(90), clients, nodes.Where(n => n != victim));
            double resumedAfter = video.LastVideoAt - killedAt;
            TestContext.Current.TestOutputHelper?.WriteLine($"the player receives video again {resumedAfter:F1} s after the kill (first frame seen at or before that)");
            // The publisher heard nothing but its Publish.Start: no error, no request to publish again.
            var statuses = LiveStream.TakeStatuses(publish!);
            Assert.All(statuses, code => Assert.Equal(StatusCode.PublishStart, code));
            stop.Cancel();
            await sending;
        }
        finally
        {
            stop.Cancel();
            await LiveStream.DisposeAllAsync(clients, nodes);
        }
    }
}
