using Rtmfp.Cluster;
using Rtmfp.Client;
using Rtmfp.Client.Peer;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Sessions;
using Rtmfp.Sessions.Rendezvous;

namespace Rtmfp.Integration.Tests;

/// <summary>
/// Rendezvous across nodes (RFC 7016 §3.5.1.6, RFC 7425 §5.4): the target peer X is connected through one
/// node's gateway, the initiator Y through the other's. Y's IHello reaches its own gateway, whose lookup goes
/// to the sharded directory entry of X's peer ID and on to X's session wherever they live; the Redirect comes
/// back through Y's gateway, the FIHello through X's. Then X and Y talk directly and the nodes carry nothing more.
/// </summary>
public sealed class TwoNodeRendezvousTests(TwoNodes nodes) : IClassFixture<TwoNodes>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private const int Messages = 40, MessageSize = 4000;

    private static RtmfpPeerOptions Options() => new() { PeerConnectTimeout = Patience };

    [Fact(Timeout = 60_000)]
    public Task A_peer_through_B_meets_peers_through_A() => MeetAcrossNodesAsync(targetGateway: nodes.A, initiatorGateway: nodes.B);

    [Fact(Timeout = 60_000)]
    public Task A_peer_through_A_meets_peers_through_B() => MeetAcrossNodesAsync(targetGateway: nodes.B, initiatorGateway: nodes.A);

    /// <summary>
    /// Two targets through <paramref name="targetGateway"/>: one whose session lives on that node (the Redirect
    /// crosses to the initiator's gateway) and one whose session lives on the initiator's node (the FIHello
    /// crosses to the target's gateway). More targets connect (bounded) until both placements exist.
    /// </summary>
    private async Task MeetAcrossNodesAsync(RunningNode targetGateway, RunningNode initiatorGateway)
    {
        const int MaxTargets = 16;
        var targets = new List<RtmfpPeer>();
        try
        {
            RtmfpPeer? sessionBesideGateway = null, sessionAcross = null;
            for (int i = 0; i < MaxTargets && (sessionBesideGateway is null || sessionAcross is null); i++)
            {
                var peer = await RtmfpPeer.ConnectAsync(targetGateway.Uri.ToString(), Options()).WaitAsync(Patience);
                targets.Add(peer);
                string session = SessionMessageExtractor.EntityIdOf(peer.Server.FarSessionId);
                bool onTargetNode = (await TwoNodeTests.LocalEntities(targetGateway, "session")).Contains(session);
                bool onInitiatorNode = (await TwoNodeTests.LocalEntities(initiatorGateway, "session")).Contains(session);
                Assert.True(onTargetNode ^ onInitiatorNode, $"session {session} on exactly one node");
                if (onTargetNode)
                {
                    sessionBesideGateway ??= peer;
                }
                else
                {
                    sessionAcross ??= peer;
                }
            }
            Assert.NotNull(sessionBesideGateway);
            Assert.NotNull(sessionAcross);

            await using var initiator = await RtmfpPeer.ConnectAsync(initiatorGateway.Uri.ToString(), Options()).WaitAsync(Patience);
            foreach (var target in new[] { sessionBesideGateway, sessionAcross })
            {
                await MeetAndTalkAsync(initiator, target, targetGateway, initiatorGateway);
            }
        }
        finally
        {
            foreach (var peer in targets)
            {
                await peer.DisposeAsync();
            }
        }
    }

    private async Task MeetAndTalkAsync(RtmfpPeer initiator, RtmfpPeer target, RunningNode targetGateway, RunningNode initiatorGateway)
    {
        // Its directory entry exists somewhere in the cluster once the connect registered it.
        string entry = PeerDirectoryMessageExtractor.EntityIdOf(target.PeerId.Span);
        await TwoNodes.WaitForAsync(async () =>
            (await TwoNodeTests.LocalEntities(nodes.A, "peer-directory")).Contains(entry) || (await TwoNodeTests.LocalEntities(nodes.B, "peer-directory")).Contains(entry),
            "the target's directory entry");

        using var onTargetNode = new MetricCollector(targetGateway.Metrics);
        using var onInitiatorNode = new MetricCollector(initiatorGateway.Metrics);
        using var cts = new CancellationTokenSource(Patience);

        await using var direct = await initiator.ConnectToPeerAsync(target.PeerIdHex, cts.Token);
        var accepted = await target.IncomingPeers.ReadAsync(cts.Token);
        Assert.Equal(initiator.PeerId.ToArray(), accepted.FarPeerId.ToArray());
        Assert.Equal(target.PeerId.ToArray(), direct.FarPeerId.ToArray());
        // The IHello went to the initiator's gateway, the FIHello to the target through its gateway (on loopback
        // the initiator's direct IHello can beat the FIHello, which crosses actors: wait for it).
        Assert.True(onInitiatorNode["rtmfp.gateway.io{receive}"] > 0);
        await TwoNodes.WaitForAsync(() => Task.FromResult(onTargetNode["rtmfp.gateway.io{transmit}"] > 0), "the FIHello through the target's gateway", 5);
        // The direct session goes to the target's own socket, not to either node.
        Assert.Equal(target.Server.LocalEndPoint!.Port, direct.RemoteEndPoint!.Port);
        Assert.DoesNotContain(direct.RemoteEndPoint.Port, new[] { nodes.A.Endpoint.Port, nodes.B.Endpoint.Port });
        long nodeBytesBefore = NodeBytes(onTargetNode) + NodeBytes(onInitiatorNode);

        var there = direct.OpenFlow("there");
        for (int i = 0; i < Messages; i++)
        {
            Assert.True(there.Write(Numbered(i)));
        }
        var incoming = await accepted.IncomingFlows.ReadAsync(cts.Token);
        Assert.Equal("there"u8.ToArray(), incoming.Metadata.ToArray());
        var back = accepted.OpenFlow("back");
        for (int i = 0; i < Messages; i++)
        {
            var message = await incoming.Messages.ReadAsync(cts.Token);
            Assert.Equal(Numbered(i), message.ToArray());
            Assert.True(back.Write(Reversed(message.ToArray())));
        }
        var returned = await direct.IncomingFlows.ReadAsync(cts.Token);
        Assert.Equal("back"u8.ToArray(), returned.Metadata.ToArray());
        for (int i = 0; i < Messages; i++)
        {
            Assert.Equal(Reversed(Numbered(i)), (await returned.Messages.ReadAsync(cts.Token)).ToArray());
        }

        // 2 × 160 KB went between the peers; the nodes saw at most their own sessions' keepalives.
        long nodeBytes = NodeBytes(onTargetNode) + NodeBytes(onInitiatorNode) - nodeBytesBefore;
        Assert.True(nodeBytes < 8 * 1024, $"the nodes carried {nodeBytes} bytes of the direct exchange");

        Assert.Equal(RtmfpCloseReason.LocalClose, await direct.CloseAsync(cts.Token));
        Assert.Equal(RtmfpCloseReason.RemoteClose, await accepted.Closed.WaitAsync(cts.Token));
    }

    private static long NodeBytes(MetricCollector m) => m["rtmfp.gateway.io{receive}"] + m["rtmfp.gateway.io{transmit}"];

    private static byte[] Reversed(byte[] b)
    {
        var r = (byte[])b.Clone();
        Array.Reverse(r);
        return r;
    }

    private static byte[] Numbered(int i)
    {
        var b = new byte[MessageSize];
        new Random(7016 + i).NextBytes(b);
        BitConverter.TryWriteBytes(b, i);
        return b;
    }
}
