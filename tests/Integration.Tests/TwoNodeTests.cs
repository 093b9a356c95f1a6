using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Microsoft.Extensions.DependencyInjection;
using Rtmfp.Client;
using Rtmfp.Client.Flash;
using Rtmfp.Integration.Tests.Flash;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Node;
using Rtmfp.Sessions;
using Rtmfp.Cluster;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Integration.Tests;

/// <summary>
/// Two nodes in this process, B seeded from A, each with its own gateway: sessions and streams live on
/// either node, so packets, keys and media cross nodes through remoting and the cluster message serializer.
/// </summary>
public sealed class TwoNodes : IAsyncLifetime
{
    private RunningNode? _a;
    private RunningNode? _b;

    public RunningNode A => _a ?? throw new InvalidOperationException("not started");
    public RunningNode B => _b ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync()
    {
        // Media stays worth sending for a minute (Rtmfp:Streams:AudioLifetime and VideoLifetime, 1 s and 2 s by default):
        // these tests are about frames crossing nodes whole and once, so a loaded machine must not make the players'
        // queues drop one (the keyframe test below failed once that way; FanoutTests' 200 players did too, on their own node).
        _a = await RunningNode.StartAsync(("Rtmfp:Cluster:Port", "0"), ("Rtmfp:Streams:AudioLifetime", "60s"), ("Rtmfp:Streams:VideoLifetime", "60s"));
        string seed = Akka.Cluster.Cluster.Get(_a.System).SelfAddress.ToString();
        _b = await RunningNode.StartAsync(("Rtmfp:Cluster:Port", "0"), ("Rtmfp:Cluster:SeedNodes", seed), ("Rtmfp:Streams:AudioLifetime", "60s"),
            ("Rtmfp:Streams:VideoLifetime", "60s"));
        await WaitForAsync(() => Task.FromResult(UpMembers(_a) == 2 && UpMembers(_b) == 2), "both members Up");
        foreach (var region in new[] { "session", "stream", "peer-directory" })
        {
            foreach (var node in new[] { _a, _b })
            {
                await WaitForRegionsAsync(node, region, 2);
            }
        }
    }

    internal static int UpMembers(RunningNode node) => Akka.Cluster.Cluster.Get(node.System).State.Members.Count(m => m.Status == MemberStatus.Up);

    /// <summary>Until <paramref name="node"/>'s region (or proxy) of <paramref name="region"/> knows <paramref name="count"/> hosting regions.</summary>
    internal static Task WaitForRegionsAsync(RunningNode node, string region, int count)
    {
        var shardRegion = ClusterSharding.Get(node.System).ShardRegion(region);
        return WaitForAsync(async () =>
            (await shardRegion.Ask<CurrentRegions>(GetCurrentRegions.Instance, TimeSpan.FromSeconds(2))).Regions.Count == count,
            $"{count} {region} region(s) seen from {node.Host}");
    }

    internal static async Task WaitForAsync(Func<Task<bool>> condition, string what, double seconds = 15)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (AskTimeoutException)
            {
                // The coordinator is not there yet: ask again.
            }
            if (deadline.Elapsed.TotalSeconds > seconds)
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }
            await Task.Delay(50);
        }
    }

    public ValueTask DisposeAsync() => RunningNode.DisposeAllAsync(_b, _a);
}

public sealed class TwoNodeTests(TwoNodes nodes) : IClassFixture<TwoNodes>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact(Timeout = 60_000)]
    public async Task Cluster_messages_use_their_protocol_serializers_and_a_remote_gateway_is_not_a_local_one()
    {
        foreach (var node in new[] { nodes.A, nodes.B })
        {
            var system = node.System;
            foreach (var (identifier, _, types, _) in ClusterSerializationHosting.Serializers)
            {
                foreach (var type in types)
                {
                    Assert.Equal(identifier, system.Serialization.FindSerializerForType(type).Identifier);
                }
            }
            Assert.Equal(NodeComposition.MaxRemoteFrameSize, system.Settings.Config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size"));
        }
        // A session on B that learned A's gateway from a message gets a remote reference: packets go as
        // OutboundPacket messages, not through A's in-process sink, even with both nodes in one process.
        var address = Akka.Cluster.Cluster.Get(nodes.A.System).SelfAddress;
        var local = await nodes.A.System.ActorSelection("/user/gateway").Ask<ActorIdentity>(new Identify(1), Patience);
        var remote = await nodes.B.System.ActorSelection($"{address}/user/gateway").Ask<ActorIdentity>(new Identify(2), Patience);
        Assert.NotNull(LocalGateways.Get(nodes.A.System).Find(local.Subject!));
        Assert.NotNull(remote.Subject);
        Assert.Null(LocalGateways.Get(nodes.B.System).Find(remote.Subject));
    }

    [Fact(Timeout = 60_000)]
    public async Task Twenty_echo_clients_on_both_gateways_are_served_by_sessions_on_both_nodes()
    {
        const int Clients = 20, Messages = 30;
        var connections = new List<(RtmfpConnection Connection, RunningNode Gateway)>();
        try
        {
            // Gateways A B B A A B B A…: shards are allocated to the region with fewest shards as sessions arrive,
            // so whatever the tie-break, about half of the sessions end up on the other gateway's node.
            for (int i = 0; i < Clients; i++)
            {
                var gateway = ((i + 1) / 2) % 2 == 0 ? nodes.A : nodes.B;
                connections.Add((await RtmfpConnection.ConnectAsync(gateway.Uri.ToString()).WaitAsync(Patience), gateway));
            }
            var echoes = await Task.WhenAll(connections.Select(c => EchoAsync(c.Connection, Messages)));
            Assert.All(echoes, e => AssertNumbered(e, Messages));

            // Where does each session entity live? Both nodes hold some, and some of them serve a client
            // of the other node's gateway in each direction.
            var onA = await LocalSessionEntities(nodes.A);
            var onB = await LocalSessionEntities(nodes.B);
            var ids = connections.Select(c => (Id: SessionMessageExtractor.EntityIdOf(c.Connection.FarSessionId), c.Gateway)).ToList();
            Assert.All(ids, s => Assert.True(onA.Contains(s.Id) ^ onB.Contains(s.Id), $"session {s.Id} on exactly one node"));
            Assert.Contains(ids, s => s.Gateway == nodes.A && onB.Contains(s.Id));
            Assert.Contains(ids, s => s.Gateway == nodes.B && onA.Contains(s.Id));

            var stats = await ClusterSharding.Get(nodes.A.System).ShardRegion("session")
                .Ask<ClusterShardingStats>(new GetClusterShardingStats(TimeSpan.FromSeconds(3)), TimeSpan.FromSeconds(5));
            Assert.Equal(2, stats.Regions.Count);
            Assert.All(stats.Regions.Values, r => Assert.True(r.Stats.Values.Sum() > 0));

            // And a second round after the gateways learned where each session is (direct tells to remote entities).
            var again = await Task.WhenAll(connections.Select(c => EchoAsync(c.Connection, Messages)));
            Assert.All(again, e => AssertNumbered(e, Messages));
        }
        finally
        {
            await Task.WhenAll(connections.Select(c => c.Connection.DisposeAsync().AsTask()));
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_publisher_on_one_node_reaches_players_on_both_nodes_with_every_frame_in_order()
    {
        const int VideoFrames = 40, AudioFrames = 80;
        var players = new List<(FlashNetConnection Nc, FlashNetStream Ns)>();
        try
        {
            await ConnectPlayersAsync(players, "two-nodes", minPlayers: 6);
            await using var publisher = await FlashNetConnection.ConnectAsync($"rtmfp://{nodes.A.Endpoint}/live").WaitAsync(Patience);
            var stream = await publisher.CreateStreamAsync().WaitAsync(Patience);
            await stream.PublishAsync("two-nodes").WaitAsync(Patience);
            long before = StreamMessagesAcrossNodes();
            var fanouts = new[] { nodes.A, nodes.B }.Select(n => Rtmfp.Sessions.Streams.StreamFanout.Of(n.System)!).ToArray();
            var eventsBefore = fanouts.Select(f => f.NodeEvents).ToArray();
            FlashClientTests.PublishSynthetic(stream, VideoFrames, AudioFrames);

            await Task.WhenAll(players.Select(p => FlashClientTests.ReceiveWholeStreamAsync(p.Ns, VideoFrames, AudioFrames, Patience)));

            // Issue 12: each frame crosses to each other node with players once, not once per player there: the
            // publisher's frame to the entity (when on another node) plus one fan-out message per other node with players.
            const int Frames = 1 + 2 + VideoFrames + AudioFrames; // metadata, sequence headers, media
            bool entityOnA = (await LocalEntities(nodes.A, "stream")).Contains("live/two-nodes");
            var onA = await LocalSessionEntities(nodes.A);
            bool publisherOnA = onA.Contains(SessionMessageExtractor.EntityIdOf(publisher.Rtmfp.FarSessionId));
            int playersOnA = players.Count(p => onA.Contains(SessionMessageExtractor.EntityIdOf(p.Nc.Rtmfp.FarSessionId)));
            int playersAway = entityOnA ? players.Count - playersOnA : playersOnA;
            int perFrame = (publisherOnA == entityOnA ? 0 : 1) + (playersAway > 0 ? 1 : 0);
            long crossed = StreamMessagesAcrossNodes() - before;
            // Up to two more: the publish notification's fan-out message may be written after the count began.
            Assert.InRange(crossed, (long)Frames * perFrame, ((long)Frames * perFrame) + 2);
            Assert.True(playersAway >= 1 && playersAway < players.Count, $"players on the entity's node and away: {players.Count - playersAway}/{playersAway}");
            // Each node with players got each frame once for all its players: node messages per frame = nodes with players.
            for (int i = 0; i < fanouts.Length; i++)
            {
                Assert.InRange(fanouts[i].NodeEvents - eventsBefore[i], Frames, Frames + 1);
                // Served through the node's fan-out, on its own thread or through a busy session's port (which of the two
                // is a matter of load: every delivery went through the ports once on a loaded CI machine; FanoutTests
                // checks the loop itself sends).
                Assert.True(fanouts[i].Direct + fanouts[i].Queued >= Frames, "players served through the node's fan-out");
            }
        }
        finally
        {
            foreach (var (nc, _) in players)
            {
                await nc.DisposeAsync();
            }
        }
    }

    [Fact(Timeout = 90_000)]
    public async Task The_relay_cli_publishes_through_one_gateway_to_players_spread_over_both()
    {
        // bench/cluster.sh's relay row: `rtmfp relay` with its publisher through A and its players through B and A in turn.
        var (code, output) = await CliRun.RunAsync(TestContext.Current.CancellationToken, "relay", $"rtmfp://{nodes.B.Endpoint}/live",
            "--via", nodes.A.Endpoint.ToString(), "--publish-via", nodes.A.Endpoint.ToString(), "--players", "4", "--bitrate", "200",
            "--duration", "2", "--threshold", "10000", "--loops", "1", "--bind", "127.0.0.1");
        Assert.True(code == 0, output);
        Assert.Contains("4/4 players playing", output);
        Assert.Contains("lost frames: 0; out of order: 0", output);
    }

    /// <summary>Stream protocol messages written for another node, on both nodes (each is one message crossing nodes).</summary>
    private long StreamMessagesAcrossNodes() => new[] { nodes.A, nodes.B }.Sum(node =>
        ((ProtocolSerializer)node.System.Serialization.FindSerializerForType(typeof(StreamNodeEvent))).Serialized);

    /// <summary>
    /// Players through B and A. More join (bounded) until one player's session lives on the node without the
    /// stream entity, so stream deliveries cross nodes for certain, and one on the entity's node (players on both).
    /// </summary>
    private async Task ConnectPlayersAsync(List<(FlashNetConnection Nc, FlashNetStream Ns)> players, string name, int minPlayers)
    {
        const int MaxPlayers = 16;
        bool crossNode = false, sameNode = false;
        for (int i = 0; i < MaxPlayers && (i < minPlayers || !crossNode || !sameNode); i++)
        {
            var gateway = i % 3 == 2 ? nodes.A : nodes.B;
            var nc = await FlashNetConnection.ConnectAsync($"rtmfp://{gateway.Endpoint}/live").WaitAsync(Patience);
            players.Add((nc, null!));
            var ns = await nc.CreateStreamAsync().WaitAsync(Patience);
            await ns.PlayAsync(name).WaitAsync(Patience);
            players[^1] = (nc, ns);
            string session = SessionMessageExtractor.EntityIdOf(nc.Rtmfp.FarSessionId);
            bool streamOnA = (await LocalEntities(nodes.A, "stream")).Contains("live/" + name);
            bool sessionOnA = (await LocalEntities(nodes.A, "session")).Contains(session);
            crossNode |= streamOnA != sessionOnA;
            sameNode |= streamOnA == sessionOnA;
        }
        Assert.True(crossNode, "no player session on the other node than the stream entity");
    }

    [Fact(Timeout = 60_000)]
    public async Task A_keyframe_larger_than_akkas_default_frame_crosses_nodes_whole()
    {
        var players = new List<(FlashNetConnection Nc, FlashNetStream Ns)>();
        try
        {
            await ConnectPlayersAsync(players, "big-keyframe", minPlayers: 2);
            await using var publisher = await FlashNetConnection.ConnectAsync($"rtmfp://{nodes.A.Endpoint}/live").WaitAsync(Patience);
            var stream = await publisher.CreateStreamAsync().WaitAsync(Patience);
            await stream.PublishAsync("big-keyframe").WaitAsync(Patience);
            var keyframe = SyntheticMedia.VideoFrame(true, 0, MonotonicClock.NowMs, 300_000);
            new Random(7016).NextBytes(keyframe.AsSpan(5 + SyntheticMedia.StampLength));
            stream.SendVideo(0, SyntheticMedia.AvcSequenceHeader());
            stream.SendVideo(40, keyframe, lifetime: TimeSpan.FromSeconds(60)); // whole, however loaded the machine (the test is about size)

            await Task.WhenAll(players.Select(async p =>
            {
                var received = await FlashClientTests.CollectWhatArrivesAsync(p.Ns, r => r.Video.Count >= 2, Patience);
                if (received.Video.Count < 2)
                {
                    Assert.Fail($"player of session {p.Nc.Rtmfp.FarSessionId:x8} got {received.Video.Count} video message(s) "
                        + $"({string.Join(", ", received.Video.Select(v => v.Payload.Length))} bytes) in {Patience}; fan-outs: "
                        + FlashClientTests.Describe(Rtmfp.Sessions.Streams.StreamFanout.Of(nodes.A.System)!,
                            Rtmfp.Sessions.Streams.StreamFanout.Of(nodes.B.System)!));
                }
                Assert.Equal(keyframe, received.Video[1].Payload.ToArray());
                Assert.Equal(40u, received.Video[1].Timestamp);
            }));
        }
        finally
        {
            foreach (var (nc, _) in players)
            {
                await nc.DisposeAsync();
            }
        }
    }

    private static Task<HashSet<string>> LocalSessionEntities(RunningNode node) => LocalEntities(node, "session");

    internal static async Task<HashSet<string>> LocalEntities(RunningNode node, string typeName)
    {
        var region = ClusterSharding.Get(node.System).ShardRegion(typeName);
        var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5));
        return state.Shards.SelectMany(s => s.EntityIds).ToHashSet();
    }

    private static Task<List<byte[]>> EchoAsync(RtmfpConnection connection, int count) => SessionTests.EchoAsync(connection, count, Numbered);

    /// <summary>Numbered messages of 8 to 1,107 bytes (most of a packet), for echoes across nodes.</summary>
    internal static byte[] Numbered(int i)
    {
        var b = new byte[8 + (i * 37 % 1100)];
        BitConverter.TryWriteBytes(b, i);
        b.AsSpan(4).Fill((byte)i);
        return b;
    }

    private static void AssertNumbered(List<byte[]> got, int count) => SessionTests.AssertEchoed(got, count, Numbered);
}
