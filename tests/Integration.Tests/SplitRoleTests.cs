using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Rtmfp.Cluster;
using Rtmfp.Client;
using Rtmfp.Client.Flash;
using Rtmfp.Client.Peer;
using Rtmfp.Gateway;
using Rtmfp.Integration.Tests.Flash;
using Rtmfp.Sessions;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Integration.Tests;

/// <summary>
/// Node G plays only the gateway role (UDP front, shard region proxies), node S only the sessions role (no UDP):
/// every session entity a client of G gets lives on S.
/// </summary>
public sealed class GatewayAndSessionsNodes : IAsyncLifetime
{
    private RunningNode? _g;
    private RunningNode? _s;

    public RunningNode G => _g ?? throw new InvalidOperationException("not started");
    public RunningNode S => _s ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync()
    {
        _g = await RunningNode.StartAsync(("Rtmfp:Roles", "gateway"), ("Rtmfp:Cluster:Port", "0"));
        string seed = Akka.Cluster.Cluster.Get(_g.System).SelfAddress.ToString();
        _s = await RunningNode.StartAsync(("Rtmfp:Roles", "sessions"), ("Rtmfp:Cluster:Port", "0"), ("Rtmfp:Cluster:SeedNodes", seed));
        await TwoNodes.WaitForAsync(() => Task.FromResult(TwoNodes.UpMembers(_g) == 2 && TwoNodes.UpMembers(_s) == 2), "both members Up");
        // G's proxies and S's regions all know the one region that hosts entities (S's).
        foreach (var (node, region) in new[] { (_g, "session"), (_g, "peer-directory"), (_s, "session"), (_s, "peer-directory"), (_s, "stream") })
        {
            await TwoNodes.WaitForRegionsAsync(node, region, 1);
        }
    }

    /// <summary>
    /// The gateway first, as a rolling stop would: a gateway-only node that outlives every sessions node can wait
    /// ~10 s in coordinated shutdown when clients still send (their key lookups wait in the session proxy for a
    /// coordinator that is gone, until the region's graceful-shutdown timeout).
    /// </summary>
    public ValueTask DisposeAsync() => RunningNode.DisposeAllAsync(_g, _s);
}

public sealed class SplitRoleTests(GatewayAndSessionsNodes nodes) : IClassFixture<GatewayAndSessionsNodes>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private string Url(string app = "live") => $"rtmfp://{nodes.G.Endpoint}/{app}";

    [Fact(Timeout = 60_000)]
    public async Task The_roles_are_what_the_settings_say_and_the_sessions_node_opens_no_udp_endpoint()
    {
        Assert.True(nodes.G.HasGateway);
        Assert.False(nodes.S.HasGateway);
        Assert.DoesNotContain(nodes.S.Host.Services.GetServices<IHostedService>(), s => s is GatewayService);
        var noGateway = await nodes.S.System.ActorSelection("/user/gateway").Ask<ActorIdentity>(new Identify(1), Patience);
        Assert.Null(noGateway.Subject);

        var members = Akka.Cluster.Cluster.Get(nodes.G.System).State.Members;
        var g = members.Single(m => m.Address == Akka.Cluster.Cluster.Get(nodes.G.System).SelfAddress);
        var s = members.Single(m => m.Address == Akka.Cluster.Cluster.Get(nodes.S.System).SelfAddress);
        Assert.True(g.HasRole("gateway") && !g.HasRole("sessions"));
        Assert.True(s.HasRole("sessions") && !s.HasRole("gateway"));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_client_of_the_gateway_node_is_served_in_order_by_a_session_on_the_sessions_node()
    {
        const int Messages = 100;
        await using var connection = await RtmfpConnection.ConnectAsync(nodes.G.Uri.ToString()).WaitAsync(Patience);
        var echoes = await SessionTests.EchoAsync(connection, Messages, TwoNodeTests.Numbered);
        SessionTests.AssertEchoed(echoes, Messages, TwoNodeTests.Numbered);

        string id = SessionMessageExtractor.EntityIdOf(connection.FarSessionId);
        Assert.Contains(id, await TwoNodeTests.LocalEntities(nodes.S, "session"));
        await AssertOnlySessionsNodeHostsSessionsAsync();
    }

    [Fact(Timeout = 60_000)]
    public async Task A_publisher_and_three_players_through_the_gateway_node_get_every_frame()
    {
        const int Players = 3, VideoFrames = 40, AudioFrames = 80;
        var players = new List<(FlashNetConnection Nc, FlashNetStream Ns)>();
        try
        {
            for (int i = 0; i < Players; i++)
            {
                var nc = await FlashNetConnection.ConnectAsync(Url()).WaitAsync(Patience);
                players.Add((nc, null!));
                var ns = await nc.CreateStreamAsync().WaitAsync(Patience);
                await ns.PlayAsync("split-roles").WaitAsync(Patience);
                players[^1] = (nc, ns);
            }
            await using var publisher = await FlashNetConnection.ConnectAsync(Url()).WaitAsync(Patience);
            var stream = await publisher.CreateStreamAsync().WaitAsync(Patience);
            await stream.PublishAsync("split-roles").WaitAsync(Patience);
            FlashClientTests.PublishSynthetic(stream, VideoFrames, AudioFrames);

            await Task.WhenAll(players.Select(async p =>
            {
                var received = await FlashClientTests.Collect(p.Ns, r => r.Video.Count >= VideoFrames + 1 && r.Audio.Count >= AudioFrames + 1, Patience);
                Assert.Contains(StatusCode.PlayPublishNotify, received.Statuses);
                Assert.Contains(received.Data, d => d.Handler == DataMessage.OnMetaData);
                Assert.True(VideoTag.TryParse(received.Video[0].Payload.Span, out var first) && first.IsAvcSequenceHeader);
                Assert.True(AudioTag.TryParse(received.Audio[0].Payload.Span, out var firstAudio) && firstAudio.IsAacSequenceHeader);
                FlashClientTests.AssertFrames(received.Video.Skip(1), VideoFrames, 40);
                FlashClientTests.AssertFrames(received.Audio.Skip(1), AudioFrames, 20);
            }));

            var onS = await TwoNodeTests.LocalEntities(nodes.S, "session");
            Assert.All(players.Select(p => p.Nc).Append(publisher), nc => Assert.Contains(SessionMessageExtractor.EntityIdOf(nc.Rtmfp.FarSessionId), onS));
            Assert.Contains("live/split-roles", await TwoNodeTests.LocalEntities(nodes.S, "stream"));
            await AssertOnlySessionsNodeHostsSessionsAsync();
        }
        finally
        {
            foreach (var (nc, _) in players)
            {
                await nc.DisposeAsync();
            }
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Two_peers_of_the_gateway_node_meet_through_the_directory_on_the_sessions_node()
    {
        var options = new RtmfpPeerOptions { PeerConnectTimeout = Patience };
        await using var target = await RtmfpPeer.ConnectAsync(nodes.G.Uri.ToString(), options).WaitAsync(Patience);
        await using var initiator = await RtmfpPeer.ConnectAsync(nodes.G.Uri.ToString(), options).WaitAsync(Patience);
        using var cts = new CancellationTokenSource(Patience);

        await using var direct = await initiator.ConnectToPeerAsync(target.PeerIdHex, cts.Token);
        var accepted = await target.IncomingPeers.ReadAsync(cts.Token);
        Assert.Equal(initiator.PeerId.ToArray(), accepted.FarPeerId.ToArray());
        Assert.Equal(target.Server.LocalEndPoint!.Port, direct.RemoteEndPoint!.Port);

        var flow = direct.OpenFlow("hello");
        Assert.True(flow.Write("ping"u8.ToArray()));
        var incoming = await accepted.IncomingFlows.ReadAsync(cts.Token);
        Assert.Equal("ping"u8.ToArray(), (await incoming.Messages.ReadAsync(cts.Token)).ToArray());
        Assert.Contains(PeerDirectoryMessageExtractor.EntityIdOf(target.PeerId.Span),
            await TwoNodeTests.LocalEntities(nodes.S, "peer-directory"));
    }

    /// <summary>Sharding's own view: one region holds session entities, S's; G's proxy holds none.</summary>
    private async Task AssertOnlySessionsNodeHostsSessionsAsync()
    {
        var stats = await ClusterSharding.Get(nodes.G.System).ShardRegion("session")
            .Ask<ClusterShardingStats>(new GetClusterShardingStats(TimeSpan.FromSeconds(3)), TimeSpan.FromSeconds(5));
        var region = Assert.Single(stats.Regions);
        Assert.Equal(Akka.Cluster.Cluster.Get(nodes.S.System).SelfAddress, region.Key);
        Assert.True(region.Value.Stats.Values.Sum() > 0);
        Assert.Empty(await TwoNodeTests.LocalEntities(nodes.G, "session"));
    }
}
