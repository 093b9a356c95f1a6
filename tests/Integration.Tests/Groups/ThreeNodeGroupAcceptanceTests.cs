using System.Diagnostics;
using Akka.Actor;
using Rtmfp.Client.Groups;
using Rtmfp.Client.Peer;
using Rtmfp.Cluster;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Groups;

namespace Rtmfp.Integration.Tests.Groups;

/// <summary>Three nodes seeding <c>seed/cam</c> into a group, shared by the acceptance tests of issue 10.</summary>
public sealed class ThreeSeededNodes : IAsyncLifetime
{
    private SeededCluster? _cluster;

    public SeededCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync() => _cluster = await SeededCluster.StartAsync(3);

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

/// <summary>
/// Issue 10's acceptance on three nodes of one cluster (in this process), with .NET members on 127.0.0.1: the server
/// member's stream reaches every member while each frame crosses to each node once (docs/groups.md §7), and a group
/// of members carries posts and a stream among themselves, heals when a fifth leave, and keeps a small diameter.
/// Alone (the "node" collection): 200 members and three nodes in this process at 25 fps use both cores, and beside the
/// other tests members skipped 1–13 frames in each of three suite runs while the class passed every time on its own.
/// </summary>
[Collection("node")]
public sealed class ThreeNodeGroupAcceptanceTests(ThreeSeededNodes fixture, ITestOutputHelper output) : IClassFixture<ThreeSeededNodes>
{
    /// <summary>
    /// Members of the seeding acceptance: issue 10's 200 (on an otherwise idle 2-core machine all 200 get every frame
    /// about 9 s after the first is published). On a machine shared with parallel builds (load averages of 40 and
    /// more) 200 members and three nodes in one process fall behind a 25 fps stream: RTMFP_SEED_MEMBERS sets fewer.
    /// </summary>
    private static readonly int SeedMembers = int.TryParse(Environment.GetEnvironmentVariable("RTMFP_SEED_MEMBERS"), out int n) ? n : 200;

    private SeededCluster Cluster => fixture.Cluster;

    /// <summary>
    /// Members among themselves offer DH group 2 only (as when they meet Flash): a 1024-bit exchange per session keeps
    /// a few thousand member sessions affordable on two cores.
    /// </summary>
    private static readonly NetGroupOptions MemberOptions = new()
    {
        Peer = new RtmfpPeerOptions { PeerConnectTimeout = TimeSpan.FromSeconds(10), Client = new() { Groups = [DiffieHellmanGroup.Group2] } },
    };

    private async Task<List<NetGroupMember>> JoinAsync(int count, string specifier, CancellationToken ct)
    {
        var members = new List<NetGroupMember>(count);
        try
        {
            // In waves, round robin over the three gateways: joins of a real audience spread over time.
            for (int start = 0; start < count; start += 20)
            {
                var wave = Enumerable.Range(start, Math.Min(20, count - start))
                    .Select(i => NetGroupMember.JoinAsync(Cluster.UriOf(i % 3), specifier, MemberOptions, ct));
                members.AddRange(await Task.WhenAll(wave));
            }
            return members;
        }
        catch
        {
            await Task.WhenAll(members.Select(m => m.DisposeAsync().AsTask()));
            throw;
        }
    }

    /// <summary>
    /// Until the members stop opening sessions (their total neighbour count moves by less than 1 % in a second): the
    /// overlay a real audience has formed before a stream starts, not the burst of handshakes right after joining.
    /// </summary>
    internal static async Task SettleAsync(IReadOnlyList<NetGroupMember> members, TimeSpan within)
    {
        var deadline = Stopwatch.StartNew();
        int previous = -1;
        while (deadline.Elapsed < within)
        {
            int total = members.Sum(m => m.NeighborCount);
            if (previous >= 0 && Math.Abs(total - previous) <= total / 100)
            {
                return;
            }
            previous = total;
            await Task.Delay(1000);
        }
    }

    /// <summary>Stream and seed messages written for other nodes, on all three (each is one message crossing nodes).</summary>
    private long StreamMessagesAcrossNodes() => Cluster.Nodes.Sum(node =>
    {
        var serialization = node.System.Serialization;
        return ((ProtocolSerializer)serialization.FindSerializerForType(typeof(StreamEventDelivery))).Serialized
            + ((ProtocolSerializer)serialization.FindSerializerForType(typeof(SeedFragments))).Serialized;
    });

    [Fact(Timeout = 240_000)]
    public async Task Server_seeding_reaches_every_member_on_three_nodes_and_each_frame_crosses_to_each_node_once()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = Stopwatch.StartNew();
        var members = await JoinAsync(SeedMembers, Cluster.Specifier, ct);
        try
        {
            var plays = members.Select(m => m.Play(SeededCluster.StreamName)).ToList();
            output.WriteLine($"{members.Count} members joined in {clock.Elapsed.TotalSeconds:F1} s");
            await GroupMemberTests.EventuallyAsync(() => members.All(m => m.Neighbors.Contains(Cluster.SeedPeerIdHex)), TimeSpan.FromSeconds(60),
                "every member a neighbour of the server member");
            await SettleAsync(members, TimeSpan.FromSeconds(30));
            output.WriteLine($"every member met the server member, overlay settled after {clock.Elapsed.TotalSeconds:F1} s "
                + $"({members.Average(m => m.NeighborCount):F1} neighbours on average)");

            var statistics = Cluster.Nodes.Select(SeededCluster.StatisticsOf).ToList();
            var (publisher, stream) = await Cluster.PublishAsync(0, ct);
            await using (publisher)
            {
                long framesBefore = statistics.Sum(s => s.SourceFrames), fanoutBefore = statistics.Sum(s => s.FanoutMessages);
                long remoteBefore = statistics.Sum(s => s.RemoteFanoutMessages), crossingBefore = StreamMessagesAcrossNodes();
                const int Frames = 100;
                var published = Stopwatch.StartNew();
                await GroupSeedTests.PublishFramesAsync(stream, 0, Frames, ct);
                // Every frame, in order; the time allowed is generous: 200 members and three nodes share two cores with the
                // rest of the suite (8.6 s on an idle machine; members fell behind 30 s at a load average of 45-68).
                await Task.WhenAll(plays.Select(async play => Assert.Equal(Enumerable.Range(0, Frames).Select(i => (uint)i),
                    await GroupMemberTests.ReadFramesAsync(play, Frames, ct, TimeSpan.FromSeconds(90)))));
                output.WriteLine($"{Frames} frames reached all {members.Count} members {published.Elapsed.TotalSeconds:F1} s after the first was published");

                long frames = statistics.Sum(s => s.SourceFrames) - framesBefore;
                long fanout = statistics.Sum(s => s.FanoutMessages) - fanoutBefore;
                long remote = statistics.Sum(s => s.RemoteFanoutMessages) - remoteBefore;
                long crossing = StreamMessagesAcrossNodes() - crossingBefore;
                output.WriteLine($"frames numbered {frames}; fan-out messages {fanout} ({(double)fanout / frames:F2}/frame), to other nodes {remote} "
                    + $"({(double)remote / frames:F2}/frame); stream and seed messages across nodes {crossing} ({(double)crossing / frames:F2}/frame); "
                    + $"member sends {statistics.Sum(s => s.MemberSends)}, dropped {statistics.Sum(s => s.DroppedMemberSends)}");
                Assert.True(frames >= Frames, $"{frames} frames numbered");
                // One fragment message per frame and node, whatever the number of members: the stream reaches each node once.
                Assert.Equal(3 * frames, fanout);
                Assert.Equal(2 * frames, remote);
                // Everything that carried the stream between nodes (publisher → stream entity → source → fan-outs), with
                // the few control messages of the period: per frame at most nodes + 2, never per member.
                Assert.InRange(crossing, 2 * frames, 5 * frames);
            }
            Assert.All(members, m => Assert.Equal(0, m.Faults));
        }
        finally
        {
            await Task.WhenAll(members.Select(m => m.DisposeAsync().AsTask()));
        }
    }

    [Fact(Timeout = 240_000)]
    public async Task Sixty_members_on_three_nodes_get_every_post_and_frame_heal_within_5_s_when_a_fifth_leave_and_keep_a_small_diameter()
    {
        var ct = TestContext.Current.CancellationToken;
        // A group the nodes do not seed: the members alone carry the stream (a member publishes it).
        string specifier = NetGroupTests.Specifier("mesh" + Guid.NewGuid().ToString("n")[..10]);
        var members = await JoinAsync(60, specifier, ct);
        try
        {
            var publisher = members[0];
            var players = members.Skip(1).Select(m => (Member: m, Play: m.Play("cam"))).ToList();
            await GroupMemberTests.EventuallyAsync(() => GroupMemberTests.IsConnected(members), TimeSpan.FromSeconds(60), "a connected overlay");
            await SettleAsync(members, TimeSpan.FromSeconds(30));
            int diameter = Diameter(members);
            output.WriteLine($"60 members: {members.Average(m => m.NeighborCount):F1} neighbours on average, diameter {diameter}");
            Assert.InRange(diameter, 1, (int)Math.Floor(2 * Math.Log2(members.Count)));

            // Posts (NetGroup.post, docs/groups.md §6.6) from three members reach every other member once.
            var posted = new Dictionary<string, NetGroupMember>();
            foreach (int i in new[] { 1, 20, 40 })
            {
                posted[members[i].Post(new AmfObject { ["from"] = (double)i })] = members[i];
            }
            await Task.WhenAll(members.Select(async member =>
            {
                var expected = posted.Where(p => p.Value != member).Select(p => p.Key).ToHashSet();
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                cts.CancelAfter(TimeSpan.FromSeconds(30));
                while (expected.Count > 0)
                {
                    var post = await member.Posts.ReadAsync(cts.Token);
                    Assert.True(expected.Remove(post.MessageId) || !posted.ContainsKey(post.MessageId), "a post twice");
                }
            }));

            await using var publication = publisher.Publish("cam", new GroupMediaParameters { FetchPeriodMs = 400, UpdatePeriodMs = 50 });
            await GroupMemberTests.EventuallyAsync(() => publication.SubscriberCount >= 1, TimeSpan.FromSeconds(20), "a subscriber");
            const int Frames = 100;
            var received = players.ToDictionary(p => p.Member, _ => new List<uint>());
            await GroupMemberTests.PublishAsync(publication, 0, Frames, ct);
            await Task.WhenAll(players.Select(async p => received[p.Member].AddRange(await GroupMemberTests.ReadFramesAsync(p.Play, Frames, ct))));

            // A fifth of the members leave at once (their sessions close); the publisher stays.
            var leaving = players.Where((_, i) => i % 5 == 2).ToList();
            await Task.WhenAll(leaving.Select(p => p.Member.DisposeAsync().AsTask()));
            var gone = leaving.Select(p => p.Member.PeerIdHex).ToHashSet();
            members.RemoveAll(m => gone.Contains(m.PeerIdHex));
            var healing = Stopwatch.StartNew();
            await GroupMemberTests.EventuallyAsync(
                () => GroupMemberTests.IsConnected(members) && members.All(m => m.NeighborCount >= 3 && !m.Neighbors.Any(gone.Contains)),
                TimeSpan.FromSeconds(5), "the overlay healed: connected, every member with 3 neighbours or more, none listing a departed one");
            output.WriteLine($"{gone.Count} members left; the overlay of {members.Count} healed in {healing.ElapsedMilliseconds} ms");

            var staying = players.Except(leaving).ToList();
            await GroupMemberTests.PublishAsync(publication, Frames, Frames, ct);
            await Task.WhenAll(staying.Select(async p =>
            {
                received[p.Member].AddRange(await GroupMemberTests.ReadFramesAsync(p.Play, Frames, ct));
                Assert.Equal(Enumerable.Range(0, 2 * Frames).Select(i => (uint)i), received[p.Member]);
            }));
            diameter = Diameter(members);
            output.WriteLine($"after: {members.Average(m => m.NeighborCount):F1} neighbours on average, diameter {diameter}");
            Assert.InRange(diameter, 1, (int)Math.Floor(2 * Math.Log2(members.Count)));
            Assert.All(members, m => Assert.Equal(0, m.Faults));
        }
        finally
        {
            await Task.WhenAll(members.Select(m => m.DisposeAsync().AsTask()));
        }
    }

    /// <summary>The longest shortest path between two members over their neighbour lists (both directions count).</summary>
    internal static int Diameter(IReadOnlyList<NetGroupMember> members)
    {
        var ids = members.Select(m => m.PeerIdHex).ToHashSet();
        var edges = ids.ToDictionary(id => id, _ => new HashSet<string>());
        foreach (var member in members)
        {
            foreach (var neighbor in member.Neighbors.Where(ids.Contains))
            {
                edges[member.PeerIdHex].Add(neighbor);
                edges[neighbor].Add(member.PeerIdHex);
            }
        }
        int diameter = 0;
        foreach (var start in ids)
        {
            var distance = new Dictionary<string, int> { [start] = 0 };
            var queue = new Queue<string>([start]);
            while (queue.TryDequeue(out var id))
            {
                foreach (var next in edges[id].Where(n => !distance.ContainsKey(n)))
                {
                    distance[next] = distance[id] + 1;
                    queue.Enqueue(next);
                }
            }
            diameter = Math.Max(diameter, distance.Count == ids.Count ? distance.Values.Max() : int.MaxValue);
        }
        return diameter;
    }
}
