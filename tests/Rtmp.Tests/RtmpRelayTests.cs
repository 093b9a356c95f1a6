using Rtmfp.Flash;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Rtmp.Tests;

/// <summary>An RTMP publisher and an RTMP player through one in-process relay, as through a stream entity.</summary>
public sealed class RtmpRelayTests
{
    private static byte[] SetDataFrame()
    {
        var message = new DataMessage(DataMessage.SetDataFrame, [new AmfString(DataMessage.OnMetaData), new AmfObject { ["width"] = 320.0 }]);
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        message.WritePayload(output, new Amf0Writer());
        return output.WrittenSpan.ToArray();
    }

    [Fact]
    public void Media_with_enhanced_RTMP_FourCC_headers_reaches_a_player_byte_for_byte_and_the_gauges_follow()
    {
        var relay = new StreamRelay();
        var metrics = RtmpHarness.NewMetrics();
        var counted = new CountingStreamRelay(relay, metrics);
        var player = new RtmpHarness(counted, metrics);
        player.ConnectAndCreateStream();
        player.SendCommand(1, "play", 0, AmfNull.Instance, "cam");
        var publisher = new RtmpHarness(counted, metrics);
        publisher.ConnectAndCreateStream();
        // OBS's stream key in the query string: the stream is "cam", the query goes to the application.
        publisher.SendCommand(1, "publish", 0, AmfNull.Instance, "cam?key=secret", "live");
        Assert.Contains(RtmpHarness.Commands(publisher.Received()), c => RtmpHarness.StatusCode(c) == StatusCode.PublishStart);
        Assert.Equal((1L, 1L), (metrics.Publishers, metrics.Players));

        publisher.Send(5, 1, RtmpMessageType.DataAmf0, 0, SetDataFrame());
        // Enhanced RTMP: IsExHeader | key frame | PacketType SequenceStart, FourCC "hvc1", then the configuration record.
        byte[] hevcConfig = [0x90, (byte)'h', (byte)'v', (byte)'c', (byte)'1', 1, 2, 3, 4];
        byte[] hevcFrame = [0x91, (byte)'h', (byte)'v', (byte)'c', (byte)'1', 0, 0, 0, 9, 9, 9];
        byte[] av1Frame = [0xA1, (byte)'a', (byte)'v', (byte)'0', (byte)'1', 7, 7];
        publisher.Send(7, 1, RtmpMessageType.Video, 0, hevcConfig);
        publisher.Send(7, 1, RtmpMessageType.Video, 40, hevcFrame);
        publisher.Send(7, 1, RtmpMessageType.Video, 80, av1Frame);
        publisher.Send(6, 1, RtmpMessageType.Audio, 80, [0xAF, 1, 5, 5]);

        var received = player.Received();
        var video = received.Where(m => m.Type == RtmpMessageType.Video).ToList();
        Assert.Equal([hevcConfig, hevcFrame, av1Frame], video.Select(m => m.Payload));
        Assert.Equal([0u, 40u, 80u], video.Select(m => m.Timestamp));
        Assert.All(video, m => Assert.Equal((1u, 7), (m.StreamId, m.ChunkStream)));
        Assert.Equal([0xAF, 1, 5, 5], Assert.Single(received, m => m.Type == RtmpMessageType.Audio).Payload);
        // StreamBegin goes on message stream 0 and names stream 1 inside (RTMP §7.1.7).
        var begin = Assert.Single(received, m => m.Type == RtmpMessageType.UserControl);
        Assert.True(UserControlEvent.TryRead(begin.Payload, out var ev));
        Assert.Equal((UserControlEventType.StreamBegin, 1u, 0u), (ev.EventType, ev.StreamId, begin.StreamId));
        Assert.Contains(RtmpHarness.Commands(received), c => RtmpHarness.StatusCode(c) == StatusCode.PlayStart);
        Assert.Contains(received, m => m.Type == RtmpMessageType.DataAmf0 && m.StreamId == 1);

        publisher.Connection.OnPeerClosed();
        player.Connection.OnTransportFailed();
        counted.Release();
        Assert.Equal((0L, 0L), (metrics.Publishers, metrics.Players));
    }

    [Fact]
    public void Media_is_refused_above_the_high_water_mark_and_offered_again_when_the_queue_drains()
    {
        var relay = new StreamRelay();
        var options = new RtmpHarness(relay).Options with { SendHighWaterBytes = 32 * 1024 };
        var player = new RtmpHarness(relay, options: options);
        player.ConnectAndCreateStream();
        player.SendCommand(1, "play", 0, AmfNull.Instance, "queue");
        player.HoldOutput = true;
        var publisher = new RtmpHarness(relay);
        publisher.ConnectAndCreateStream();
        publisher.SendCommand(1, "publish", 0, AmfNull.Instance, "queue", "live");
        var frame = new byte[8000];
        frame[0] = 0x27; // AVC inter frame
        for (uint i = 0; i < 20; i++)
        {
            publisher.Send(7, 1, RtmpMessageType.Video, i * 10, frame);
        }
        int before = player.Received().Count(m => m.Type == RtmpMessageType.Video);
        player.HoldOutput = false;
        Assert.InRange(before, 3, 6); // about 32 KiB went out, the rest waits in the NetStream's queue
        Assert.True(player.Transport.DrainSignalBelow >= 0);
        player.Transport.Drain(player.NowMs);
        player.Connection.OnDrained();
        player.Connection.Flush();
        Assert.True(player.Received().Count(m => m.Type == RtmpMessageType.Video) > 0, "nothing more after the drain");
        Assert.Null(player.Connection.CloseReason);
    }

    /// <summary>Accepts a publish only with the stream key OBS puts after '?'; remembers what it saw.</summary>
    private sealed class StreamKeyApplication() : DefaultApplication("live")
    {
        public List<PublishRequest> Publishes { get; } = [];

        public override ValueTask<StreamDecision> OnPublishAsync(IFlashClient client, PublishRequest request)
        {
            Publishes.Add(request);
            return new(request.Query == "key=secret" ? StreamDecision.Allow : StreamDecision.Deny("wrong stream key"));
        }
    }

    [Fact]
    public void The_stream_key_in_the_query_string_reaches_the_application_which_decides_with_the_same_status_codes()
    {
        var application = new StreamKeyApplication();
        var registry = new ApplicationRegistry().Map("live", application);
        var options = new RtmpHarness(new StreamRelay()).Options with { Applications = registry };
        var publisher = new RtmpHarness(new StreamRelay(), options: options);
        publisher.ConnectAndCreateStream();
        publisher.SendCommand(1, "publish", 0, AmfNull.Instance, "cam?key=wrong", "live");
        publisher.SendCommand(1, "publish", 0, AmfNull.Instance, "cam?key=secret", "live");
        var statuses = RtmpHarness.Commands(publisher.Received()).Select(RtmpHarness.StatusCode).Where(c => c is not null).ToList();
        Assert.Equal([StatusCode.PublishBadName, StatusCode.PublishStart], statuses.Where(c => c!.StartsWith("NetStream.Publish", StringComparison.Ordinal)));
        Assert.Equal([("cam", "key=wrong", "live"), ("cam", "key=secret", "live")],
            application.Publishes.Select(p => (p.Stream.Name, p.Query, p.PublishType)));
    }
}
