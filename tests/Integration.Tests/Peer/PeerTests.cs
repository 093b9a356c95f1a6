using Rtmfp.Cluster;
using System.Diagnostics;
using System.Security.Cryptography;
using Rtmfp.Client;
using Rtmfp.Client.Peer;
using Rtmfp.Integration.Tests.Support;

namespace Rtmfp.Integration.Tests.Peer;

/// <summary>Two clients of one node meet by peer ID (RFC 7425 §5.4) and talk over their own session.</summary>
public class PeerTests(SharedNode shared) : IClassFixture<SharedNode>
{
    private static RtmfpPeerOptions Options(Func<ReadOnlyMemory<byte>, bool>? accept = null, double peerTimeoutSeconds = 20) => new()
    {
        PeerConnectTimeout = TimeSpan.FromSeconds(peerTimeoutSeconds),
        AcceptPeer = accept,
    };

    [Fact(Timeout = 60_000)]
    public async Task Peers_meet_by_peer_id_and_exchange_messages_both_ways()
    {
        var node = shared.Node;
        await using var target = await RtmfpPeer.ConnectAsync(node.Uri.ToString(), Options());
        await using var initiator = await RtmfpPeer.ConnectAsync(node.Uri.ToString(), Options());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        var direct = await initiator.ConnectToPeerAsync(target.PeerIdHex, cts.Token);
        var accepted = await target.IncomingPeers.ReadAsync(cts.Token);

        Assert.True(accepted.IsResponder);
        Assert.False(direct.IsResponder);
        Assert.Equal(initiator.PeerId.ToArray(), accepted.FarPeerId.ToArray());
        Assert.Equal(target.PeerId.ToArray(), direct.FarPeerId.ToArray());
        // The direct session goes to the socket the target's server session uses, not to the node.
        Assert.Equal(target.Server.LocalEndPoint!.Port, direct.RemoteEndPoint!.Port);
        Assert.NotEqual(node.Endpoint.Port, direct.RemoteEndPoint.Port);

        var flow = direct.OpenFlow("hello");
        flow.Write("ping"u8.ToArray());
        var incoming = await accepted.IncomingFlows.ReadAsync(cts.Token);
        Assert.Equal("hello"u8.ToArray(), incoming.Metadata.ToArray());
        Assert.Equal("ping"u8.ToArray(), (await incoming.Messages.ReadAsync(cts.Token)).ToArray());

        var back = accepted.OpenFlow("back");
        back.Write("pong"u8.ToArray());
        var returned = await direct.IncomingFlows.ReadAsync(cts.Token);
        Assert.Equal("pong"u8.ToArray(), (await returned.Messages.ReadAsync(cts.Token)).ToArray());

        Assert.True(await accepted.PingAsync(cts.Token) < TimeSpan.FromSeconds(5));
        // The server session is unaffected by the peer session it hosts on its socket.
        Assert.True(await target.Server.PingAsync(cts.Token) < TimeSpan.FromSeconds(5));

        Assert.Equal(RtmfpCloseReason.LocalClose, await direct.CloseAsync(cts.Token));
        Assert.Equal(RtmfpCloseReason.RemoteClose, await accepted.Closed.WaitAsync(cts.Token));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_50_MB_file_crosses_the_direct_session_not_the_node()
    {
        var node = shared.Node;
        const int size = 50 * 1024 * 1024;
        var data = new byte[size];
        new Random(7016).NextBytes(data);
        byte[] expected = SHA256.HashData(data);

        await using var target = await RtmfpPeer.ConnectAsync(node.Uri.ToString(), Options());
        await using var sender = await RtmfpPeer.ConnectAsync(node.Uri.ToString(), Options());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        using var metrics = new MetricCollector(node.Metrics);
        long nodeBytesBefore = metrics["rtmfp.gateway.io{receive}"] + metrics["rtmfp.gateway.io{transmit}"];
        var clock = Stopwatch.StartNew();

        var receiving = Task.Run(async () =>
        {
            var peer = await target.IncomingPeers.ReadAsync(cts.Token);
            var (flow, offer) = await PeerFileTransfer.AcceptFileAsync(peer, cts.Token);
            Assert.Equal(("big.bin", (long)size), (offer.Name, offer.Length));
            using var output = new MemoryStream(size);
            var result = await PeerFileTransfer.ReceiveFileAsync(flow, output, null, cts.Token);
            return (result, SHA256.HashData(output.GetBuffer().AsSpan(0, (int)output.Length)));
        });
        long lastProgress = 0;
        var progress = new SynchronousProgress(v => lastProgress = v);
        var sent = await sender.SendFileAsync(target.PeerId, new MemoryStream(data), "big.bin", progress, cts.Token);
        var (received, receivedHash) = await receiving;
        clock.Stop();

        Assert.Equal(size, sent.Bytes);
        Assert.Equal(size, lastProgress);
        Assert.Equal(expected, sent.Sha256);
        Assert.Equal(size, received.Bytes);
        Assert.Equal(expected, received.Sha256);
        Assert.Equal(expected, receivedHash);
        long nodeBytes = metrics["rtmfp.gateway.io{receive}"] + metrics["rtmfp.gateway.io{transmit}"] - nodeBytesBefore;
        Assert.True(nodeBytes < 1024 * 1024, $"the node carried {nodeBytes} bytes");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed} ({sent.BytesPerSecond / 1e6:0.0} MB/s)");
    }

    [Fact(Timeout = 60_000)]
    public async Task An_unknown_peer_id_times_out_cleanly()
    {
        await using var initiator = await RtmfpPeer.ConnectAsync(shared.Node.Uri.ToString(), Options(peerTimeoutSeconds: 2));
        var unknown = new byte[32];
        new Random(5).NextBytes(unknown);
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<RtmfpConnectException>(() => initiator.ConnectToPeerAsync(unknown));
        Assert.Equal(RtmfpConnectFailure.Timeout, e.Failure);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(10));
        // The server session is still fine.
        Assert.True(await initiator.Server.PingAsync().WaitAsync(TimeSpan.FromSeconds(5)) < TimeSpan.FromSeconds(5));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_target_refusing_the_initiator_is_never_reached_and_accepts_others()
    {
        var node = shared.Node;
        await using var refused = await RtmfpPeer.ConnectAsync(node.Uri.ToString(), Options(peerTimeoutSeconds: 3));
        await using var welcome = await RtmfpPeer.ConnectAsync(node.Uri.ToString(), Options());
        byte[] refusedId = refused.PeerId.ToArray();
        await using var target = await RtmfpPeer.ConnectAsync(node.Uri.ToString(), Options(accept: id => !id.Span.SequenceEqual(refusedId)));

        var e = await Assert.ThrowsAsync<RtmfpConnectException>(() => refused.ConnectToPeerAsync(target.PeerId));
        Assert.Equal(RtmfpConnectFailure.Timeout, e.Failure);
        Assert.False(target.IncomingPeers.TryRead(out _));

        await using var direct = await welcome.ConnectToPeerAsync(target.PeerId).WaitAsync(TimeSpan.FromSeconds(20));
        var accepted = await target.IncomingPeers.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(welcome.PeerId.ToArray(), accepted.FarPeerId.ToArray());
    }

    private sealed class SynchronousProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
