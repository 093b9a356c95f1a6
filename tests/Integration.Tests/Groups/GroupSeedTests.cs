using Rtmfp.Client.Flash;
using Rtmfp.Client.Groups;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Integration.Tests.Groups;

/// <summary>
/// A stream published to the node reaches .NET group members through the server member that seeds it (docs/groups.md
/// §7): the members meet the server member like any peer (the node answers for its peer ID), run the group handshake
/// with it, and take the stream from it and from each other.
/// </summary>
public sealed class GroupSeedTests
{
    /// <summary>The synthetic video of <see cref="GroupMemberTests.PublishVideoAsync"/>, published to the node.</summary>
    internal static Task PublishFramesAsync(FlashNetStream stream, int from, int count, CancellationToken ct) =>
        GroupMemberTests.PublishVideoAsync((time, tag) => stream.SendVideo(time, tag), from, count, ct);

    [Fact(Timeout = 90_000)]
    public async Task Rtmfp_relay_with_group_measures_the_seeded_fan_out_to_members()
    {
        // bench/fanout.sh GROUP=…: rtmfp relay publishes to the node and its players are members of the seeded group.
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await SeededCluster.StartAsync(1);
        var (code, output) = await Support.CliRun.RunAsync(ct, "--dh", "2", "relay", cluster.UriOf(0), "--stream", SeededCluster.StreamName,
            "--group", cluster.Specifier, "-p", "3", "-d", "2", "--threshold", "60000", "--bind", "127.0.0.1");
        Assert.True(code == ClientCli.ExitCodes.Success, output);
        Assert.Matches(@"3/3 members with neighbours \([\d.]+ on average\)", output);
        Assert.Matches(@"published \d+ video \+ \d+ audio frames at 1000 kbit/s to 3 players \(0 failed to start\)", output);
        Assert.Contains("lost frames: 0; out of order: 0", output);
        Assert.True(SeededCluster.StatisticsOf(cluster.Nodes[0]).SourceFrames >= 150, "the frames went through the seed source");
    }

    [Fact(Timeout = 90_000)]
    public async Task A_stream_published_to_the_node_reaches_every_member_through_the_server_member()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await SeededCluster.StartAsync(1);
        var members = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => NetGroupMember.JoinAsync(cluster.UriOf(0), cluster.Specifier, cancellationToken: ct)));
        try
        {
            var plays = members.Select(m => m.Play(SeededCluster.StreamName)).ToList();
            await GroupMemberTests.EventuallyAsync(() => members.All(m => m.Neighbors.Contains(cluster.SeedPeerIdHex)), TimeSpan.FromSeconds(20),
                "every member a neighbour of the server member");
            var (publisher, stream) = await cluster.PublishAsync(0, ct);
            await using (publisher)
            {
                const int Frames = 100;
                await PublishFramesAsync(stream, 0, Frames, ct);
                foreach (var play in plays)
                {
                    Assert.Equal(Enumerable.Range(0, Frames).Select(i => (uint)i), await GroupMemberTests.ReadFramesAsync(play, Frames, ct));
                }
            }
            // The publisher left: the group publication ended with it, and every member hears its end.
            await Task.WhenAll(plays.Select(p => p.Messages.Completion)).WaitAsync(TimeSpan.FromSeconds(20), ct);
            // The next publisher's stream is a new publication (its own key, numbered from 1): members that play it
            // get it from its start, not the tail of the last one.
            await using var late = await NetGroupMember.JoinAsync(cluster.UriOf(0), cluster.Specifier, cancellationToken: ct);
            var latePlay = late.Play(SeededCluster.StreamName);
            await GroupMemberTests.EventuallyAsync(() => late.Neighbors.Contains(cluster.SeedPeerIdHex), TimeSpan.FromSeconds(20), "the late member meets the server member");
            var (second, secondStream) = await cluster.PublishAsync(0, ct);
            await using (second)
            {
                await PublishFramesAsync(secondStream, 0, 50, ct);
                Assert.Equal(Enumerable.Range(0, 50).Select(i => (uint)i), await GroupMemberTests.ReadFramesAsync(latePlay, 50, ct));
            }
            Assert.All(members.Append(late), m => Assert.Equal(0, m.Faults));
            var statistics = SeededCluster.StatisticsOf(cluster.Nodes[0]);
            Assert.True(statistics.SourceFrames >= 150, $"{statistics.SourceFrames} frames numbered");
            Assert.Equal(statistics.SourceFrames, statistics.FanoutMessages); // one node: one fan-out message per frame
            Assert.Equal(0, statistics.RemoteFanoutMessages);
        }
        finally
        {
            await Task.WhenAll(members.Select(m => m.DisposeAsync().AsTask()));
        }
    }
}
