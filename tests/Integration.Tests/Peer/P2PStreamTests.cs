using Rtmfp.Cluster;
using Rtmfp.Client.Flash;
using Rtmfp.Client.Peer;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Integration.Tests.Peer;

/// <summary>A peer publishes a NetStream directly to another peer (RFC 7425 §5.4); the node only introduces them.</summary>
public class P2PStreamTests(SharedNode shared) : IClassFixture<SharedNode>
{
    private const int VideoFrames = 150;
    private const int AudioFrames = 260;
    private const int VideoSize = 4000;
    private const int AudioSize = 300;

    private static RtmfpPeerOptions Options() => new() { PeerConnectTimeout = TimeSpan.FromSeconds(10) };

    [Fact(Timeout = 60_000)]
    public async Task A_peer_plays_synthetic_media_directly_from_its_publisher_in_order()
    {
        var node = shared.Node;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var publisherPeer = await RtmfpPeer.ConnectAsync(node.Uri.ToString(), Options(), cts.Token);
        await using var playerPeer = await RtmfpPeer.ConnectAsync(node.Uri.ToString(), Options(), cts.Token);
        await using var publisher = P2PPublisher.Attach(publisherPeer, "cam1");

        // Set before anyone plays: a late joiner gets metadata and codec headers first.
        publisher.SendMetadata(new AmfObject { ["width"] = 640.0, ["height"] = 360.0 });
        publisher.SendVideo(0, SyntheticMedia.AvcSequenceHeader());
        publisher.SendAudio(0, SyntheticMedia.AacSequenceHeader());

        using var metrics = new MetricCollector(node.Metrics);
        await using var player = await P2PPlayer.PlayAsync(playerPeer, publisherPeer.PeerIdHex, "cam1", cancellationToken: cts.Token);
        long nodeBytesBefore = metrics["rtmfp.gateway.io{receive}"] + metrics["rtmfp.gateway.io{transmit}"];
        await publisher.WaitForSubscribersAsync(1, cts.Token);
        Assert.Equal(1, publisher.SubscriberCount);
        // The direct session goes to the publisher's socket, not to the node.
        Assert.Equal(publisherPeer.Server.LocalEndPoint!.Port, player.Connection.RemoteEndPoint!.Port);

        long mediaBytes = 0;
        int v = 0, a = 0;
        while (v < VideoFrames || a < AudioFrames)
        {
            // Interleaved by timestamp, as a capture would produce them (40 ms video, 23 ms audio).
            if (a >= AudioFrames || (v < VideoFrames && v * 40 <= a * 23))
            {
                publisher.SendVideo((uint)(v * 40), SyntheticMedia.VideoFrame(v % 25 == 0, (uint)v, 0, VideoSize));
                mediaBytes += VideoSize;
                v++;
            }
            else
            {
                publisher.SendAudio((uint)(a * 23), SyntheticMedia.AudioFrame((uint)a, 0, AudioSize));
                mediaBytes += AudioSize;
                a++;
            }
        }

        var commands = new List<FlashMessage>();
        var video = new List<FlashMessage>();
        var audio = new List<FlashMessage>();
        while (video.Count < VideoFrames + 1 || audio.Count < AudioFrames + 1)
        {
            var message = await player.Messages.ReadAsync(cts.Token);
            Assert.Equal(player.StreamId, message.StreamId);
            (message.Type switch
            {
                RtmpMessageType.Video => video,
                RtmpMessageType.Audio => audio,
                _ => commands,
            }).Add(message);
        }

        // Command flow, in order: StreamBegin, Play.Reset, Play.Start, |RtmpSampleAccess, onMetaData.
        Assert.Equal(5, commands.Count);
        Assert.Equal(RtmpMessageType.UserControl, commands[0].Type);
        Assert.True(UserControlEvent.TryRead(commands[0].Payload.Span, out var begin));
        Assert.Equal((UserControlEventType.StreamBegin, player.StreamId), (begin.EventType, begin.StreamId));
        Assert.Equal(StatusCode.PlayReset, commands[1].StatusCode);
        Assert.Equal(StatusCode.PlayStart, commands[2].StatusCode);
        Assert.Equal(DataMessage.RtmpSampleAccess, commands[3].Data?.Handler);
        Assert.Equal(DataMessage.OnMetaData, commands[4].Data?.Handler);
        Assert.Equal(640.0, (commands[4].Data!.Values[0] as AmfObject)?["width"]?.AsNumber);

        Assert.Equal(SyntheticMedia.AvcSequenceHeader(), video[0].Payload.ToArray());
        Assert.Equal(SyntheticMedia.AacSequenceHeader(), audio[0].Payload.ToArray());
        for (int i = 0; i < VideoFrames; i++)
        {
            var frame = video[i + 1];
            Assert.True(SyntheticMedia.TryReadStamp(frame.Payload.Span, out uint sequence, out _));
            Assert.Equal((uint)i, sequence);
            Assert.Equal((uint)(i * 40), frame.Timestamp);
            Assert.Equal(VideoSize, frame.Payload.Length);
            Assert.Equal(i % 25 == 0 ? 0x17 : 0x27, frame.Payload.Span[0]);
        }
        for (int i = 0; i < AudioFrames; i++)
        {
            var frame = audio[i + 1];
            Assert.True(SyntheticMedia.TryReadStamp(frame.Payload.Span, out uint sequence, out _));
            Assert.Equal((uint)i, sequence);
            Assert.Equal((uint)(i * 23), frame.Timestamp);
        }

        long nodeBytes = metrics["rtmfp.gateway.io{receive}"] + metrics["rtmfp.gateway.io{transmit}"] - nodeBytesBefore;
        Assert.True(nodeBytes < mediaBytes / 50, $"the node carried {nodeBytes} bytes for {mediaBytes} media bytes");
    }

    [Fact(Timeout = 60_000)]
    public async Task An_unknown_stream_is_refused_and_a_player_that_leaves_is_dropped()
    {
        var node = shared.Node;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var publisherPeer = await RtmfpPeer.ConnectAsync(node.Uri.ToString(), Options(), cts.Token);
        await using var playerPeer = await RtmfpPeer.ConnectAsync(node.Uri.ToString(), Options(), cts.Token);
        await using var publisher = P2PPublisher.Attach(publisherPeer, "cam1");

        var refused = await Assert.ThrowsAsync<FlashCallException>(
            () => P2PPlayer.PlayAsync(playerPeer, publisherPeer.PeerIdHex, "nothing-here", cancellationToken: cts.Token));
        Assert.Equal(StatusCode.PlayStreamNotFound, refused.Code);
        Assert.Equal(0, publisher.SubscriberCount);

        // Two players on one session would share its flows: one player per session, a second session here.
        var player = await P2PPlayer.PlayAsync(playerPeer, publisherPeer.PeerIdHex, "cam1", streamId: 2_000_001, cts.Token);
        await publisher.WaitForSubscribersAsync(1, cts.Token);
        publisher.SendVideo(7, SyntheticMedia.VideoFrame(true, 0, 0, 100));
        FlashMessage message;
        do
        {
            message = await player.Messages.ReadAsync(cts.Token);
        }
        while (message.Type != RtmpMessageType.Video);
        Assert.Equal((2_000_001u, 7u), (message.StreamId, message.Timestamp));

        // Closing the play flow ends the subscription (§5.4).
        await player.DisposeAsync();
        while (publisher.SubscriberCount != 0)
        {
            await Task.Delay(20, cts.Token);
        }
    }
}
