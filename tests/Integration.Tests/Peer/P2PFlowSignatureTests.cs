using Rtmfp.Client;
using Rtmfp.Client.Flash;
using Rtmfp.Client.Peer;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Integration.Tests.Peer;

/// <summary>
/// Interop regression (README, "librtmfp TestClient --peerId ← our rtmfp publish --p2p"; docs/protocol-notes.md §3, §7):
/// librtmfp plays a direct stream only from flows whose metadata is <c>54 43 04 FA 89 xx</c> (original order, its
/// 2,000,000 + n stream IDs) and refuses any other ("Unhandled signature type : 00544305fa8901", what our publisher's
/// audio flow carried before it moved to original order). This player looks at the flows as librtmfp does.
/// </summary>
public class P2PFlowSignatureTests(SharedNode shared) : IClassFixture<SharedNode>
{
    [Fact(Timeout = 60_000)]
    public async Task Every_flow_of_a_direct_stream_carries_the_signature_librtmfp_accepts_audio_included()
    {
        var ct = TestContext.Current.CancellationToken;
        var options = new RtmfpPeerOptions { PeerConnectTimeout = TimeSpan.FromSeconds(10) };
        await using var publisherPeer = await RtmfpPeer.ConnectAsync(shared.Node.Uri.ToString(), options, ct);
        await using var playerPeer = await RtmfpPeer.ConnectAsync(shared.Node.Uri.ToString(), options, ct);
        await using var publisher = P2PPublisher.Attach(publisherPeer, "signature"); // the defaults `rtmfp publish --p2p` uses
        publisher.SendAudio(0, SyntheticMedia.AacSequenceHeader());
        publisher.SendVideo(0, SyntheticMedia.AvcSequenceHeader());

        // librtmfp's player: play on a flow of its own with stream ID 2,000,001 (FA 89 01), then the publisher's flows.
        await using var direct = await playerPeer.ConnectToPeerAsync(publisherPeer.PeerIdHex, ct);
        var play = new FlashSendFlow(direct, P2PPlayer.DefaultStreamId, StreamFlowKind.Data, ReceiveIntent.OriginalQueuingOrder);
        Assert.True(play.Write(P2PStreamMessages.Play("signature")));
        await publisher.WaitForSubscribersAsync(1, ct);
        publisher.SendAudio(23, SyntheticMedia.AudioFrame(1, 0, 200));
        publisher.SendVideo(40, SyntheticMedia.VideoFrame(true, 1, 0, 2000));

        // Which flow carried what, by its metadata: until audio and video frames (not only headers) have arrived.
        var carried = new Dictionary<string, HashSet<RtmpMessageType>>();
        var lockObject = new Lock();
        int frames = 0;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        var accepting = Task.Run(async () =>
        {
            await foreach (var flow in direct.IncomingFlows.ReadAllAsync(timeout.Token))
            {
                string signature = Convert.ToHexStringLower(flow.Metadata.Span);
                _ = Task.Run(async () =>
                {
                    await foreach (var message in flow.Messages.ReadAllAsync(timeout.Token))
                    {
                        if (!RtmpMessage.TryRead(message.Span, out var rtmp))
                        {
                            continue;
                        }
                        lock (lockObject)
                        {
                            (carried.TryGetValue(signature, out var types) ? types : carried[signature] = []).Add(rtmp.Type);
                        }
                        if (rtmp.Type is RtmpMessageType.Audio or RtmpMessageType.Video && rtmp.Timestamp > 0 && Interlocked.Increment(ref frames) == 2)
                        {
                            await timeout.CancelAsync();
                        }
                    }
                });
            }
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => accepting);
        Assert.True(frames >= 2, "the audio and video frames did not both arrive");

        lock (lockObject)
        {
            // Commands, audio and video each on a flow of the stream, and every one of them 54 43 04 FA 89 01.
            Assert.Equal(["544304fa8901"], carried.Keys);
            Assert.Contains(RtmpMessageType.Audio, carried["544304fa8901"]);
            Assert.Contains(RtmpMessageType.Video, carried["544304fa8901"]);
        }
    }
}
