using Rtmfp.Cluster;
using System.Runtime.InteropServices;
using Rtmfp.Flash;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Sessions.Tests.Flash;

public class StreamTests
{
    internal static readonly byte[] AacConfig = [0xAF, 0x00, 0x12, 0x10];
    internal static readonly byte[] AvcConfig = [0x17, 0x00, 0, 0, 0, 0x01, 0x64, 0x00, 0x1F, 0xFF, 0xE1, 0x00, 0x02, 0x67, 0x64, 0x01, 0x00, 0x02, 0x68, 0xEE];

    internal static byte[] AudioFrame(int i) => [0xAF, 0x01, (byte)i, (byte)(i >> 8)];

    internal static byte[] VideoFrame(bool key, int i) => [key ? (byte)0x17 : (byte)0x27, 0x01, 0, 0, 0, 0, 0, 0, 2, (byte)i, (byte)(i >> 8)];

    /// <summary>A compact picture of what a stream received: statuses, events, data handlers and media.</summary>
    internal static List<string> Shape(RecordingOutput output, uint streamId) =>
        [.. output.OnStream(streamId).Select(Describe)];

    internal static string Describe(RecordingOutput.Sent m)
    {
        if (m.IsBarrier)
        {
            return "sync";
        }
        var payload = m.Message.Span[RtmpMessage.HeaderLength..];
        switch (m.Type)
        {
            case RtmpMessageType.UserControl:
                Assert.True(UserControlEvent.TryRead(payload, out var ev));
                return "uc:" + ev.EventType;
            case RtmpMessageType.Audio:
                return (payload.Length > 1 && payload[1] == 0 ? "aconf@" : "a@") + m.Timestamp;
            case RtmpMessageType.Video:
                return (payload[1] == 0 ? "vconf@" : payload[0] == 0x17 ? "key@" : "v@") + m.Timestamp;
            case RtmpMessageType.DataAmf0:
                Assert.True(DataMessage.TryRead(m.Type, payload, new AmfReader(), out var data));
                return "data:" + data.Handler + "@" + m.Timestamp;
            default:
                return m.StatusCode ?? m.AsCommand()?.Name ?? m.Type.ToString();
        }
    }

    internal static readonly string[] PlayPreamble =
        ["uc:StreamBegin", StatusCode.PlayReset, StatusCode.PlayStart, "data:|RtmpSampleAccess@0", "sync"];

    private static (FlashTestClient Client, uint StreamId) Publisher(StreamRelay relay, string name, NetConnectionOptions? options = null)
    {
        var client = new FlashTestClient(relay, options: options);
        client.Connect();
        uint id = client.CreateStream();
        client.Publish(id, name);
        Assert.Equal(StatusCode.PublishStart, client.Output.OnStream(id).Last().StatusCode);
        return (client, id);
    }

    private static (FlashTestClient Client, uint StreamId) Player(StreamRelay relay, string name, NetConnectionOptions? options = null, ApplicationRegistry? registry = null)
    {
        var client = new FlashTestClient(relay, registry, options);
        client.Connect();
        uint id = client.CreateStream();
        client.Play(id, name);
        return (client, id);
    }

    [Fact]
    public void Twenty_players_receive_every_frame_in_order_with_the_publishers_timestamps_and_shared_bytes()
    {
        var relay = new StreamRelay();
        var players = Enumerable.Range(0, 20).Select(_ => Player(relay, "cam")).ToList();
        var (publisher, pid) = Publisher(relay, "cam");

        var sent = new List<byte[]>
        {
            FlashTestClient.Media(RtmpMessageType.Audio, 0, AacConfig),
            FlashTestClient.Media(RtmpMessageType.Video, 0, AvcConfig),
        };
        for (int i = 0; i < 150; i++)
        {
            sent.Add(FlashTestClient.Media(RtmpMessageType.Video, (uint)(1000 + (i * 40)), VideoFrame(i % 25 == 0, i)));
            sent.Add(FlashTestClient.Media(RtmpMessageType.Audio, (uint)(1000 + (i * 40) + 13), AudioFrame(i)));
        }
        foreach (var message in sent)
        {
            publisher.Send(pid, message);
        }

        foreach (var (player, sid) in players)
        {
            Assert.Equal([.. PlayPreamble, StatusCode.PlayPublishNotify], Shape(player.Output, sid).Take(6));
            var media = player.Output.Media(sid);
            Assert.Equal(sent.Count, media.Count);
            for (int i = 0; i < sent.Count; i++)
            {
                Assert.Equal(sent[i], media[i].Message.ToArray());
            }
            Assert.All(media, m => Assert.Equal(m.Type == RtmpMessageType.Audio ? MessageClass.Audio : MessageClass.Video, m.Class));
            Assert.Equal(0, player.Connection.Counters.StaleDrops + player.Connection.Counters.GatedDrops + player.Connection.Counters.OverflowDrops);
        }
        // Forwarded as the same buffer: one copy per publisher message, whatever the number of players.
        var first = players.Select(p => p.Client.Output.Media(p.StreamId)[10].Message).ToList();
        Assert.True(MemoryMarshal.TryGetArray(first[0], out var a0));
        Assert.All(first, m => Assert.True(MemoryMarshal.TryGetArray(m, out var a) && ReferenceEquals(a.Array, a0.Array)));
    }

    [Fact]
    public void Late_joiner_gets_metadata_and_sequence_headers_first_then_waits_for_a_keyframe()
    {
        var relay = new StreamRelay();
        var (publisher, pid) = Publisher(relay, "cam");
        publisher.Send(pid, FlashTestClient.Data(0, DataMessage.SetDataFrame, "onMetaData", AmfArray.Ecma(new("width", 640.0), new("height", 360.0))));
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Audio, 0, AacConfig));
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Video, 0, AvcConfig));
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Video, 0, VideoFrame(true, 0)));
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Video, 40, VideoFrame(false, 1)));
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Audio, 20, AudioFrame(1)));

        var (player, sid) = Player(relay, "cam");
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Video, 80, VideoFrame(false, 2)));
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Audio, 60, AudioFrame(2)));
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Video, 120, VideoFrame(true, 3)));
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Video, 160, VideoFrame(false, 4)));

        Assert.Equal(
            [.. PlayPreamble, StatusCode.PlayPublishNotify, "data:onMetaData@0", "aconf@0", "vconf@0", "a@60", "key@120", "v@160"],
            Shape(player.Output, sid));
        Assert.Equal(1, player.Connection.Counters.GatedDrops);
        var metadata = player.Output.OnStream(sid).Single(m => m.Type == RtmpMessageType.DataAmf0 && Describe(m).StartsWith("data:onMetaData", StringComparison.Ordinal));
        Assert.True(DataMessage.TryRead(RtmpMessageType.DataAmf0, metadata.Message.Span[5..], new AmfReader(), out var data));
        Assert.Equal(640.0, data.Values[0].GetProperty("width")!.AsNumber);
        Assert.True(metadata.Hints.IsReliable);
    }

    /// <summary>
    /// <c>@setDataFrame, "onMetaData", {a: 1}</c>, then <paramref name="levels"/> strict arrays (AMF0 §2.12) each
    /// holding two references (AMF0 §2.9) to the previous complex value: 11 bytes a level, 2^levels leaves expanded.
    /// 38 levels make the review's 422-byte message.
    /// </summary>
    internal static byte[] InflatingSetDataFrame(int levels)
    {
        var values = new List<byte>();
        void Str(string text)
        {
            values.AddRange([0x02, 0x00, (byte)text.Length]);
            values.AddRange(System.Text.Encoding.ASCII.GetBytes(text));
        }
        Str(DataMessage.SetDataFrame);
        Str("onMetaData");
        values.AddRange([0x03, 0x00, 0x01, (byte)'a', 0x00, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x09]);
        for (int level = 1; level <= levels; level++)
        {
            byte previous = (byte)(level - 1);
            values.AddRange([0x0A, 0, 0, 0, 2, 0x07, 0x00, previous, 0x07, 0x00, previous]);
        }
        return FlashTestClient.Media(RtmpMessageType.DataAmf0, 0, [.. values]);
    }

    [Theory]
    [InlineData(10)] // about 6,000 values expanded: decodes, forwarded as received
    [InlineData(20)] // about 6 million: over the decoder's element budget, refused
    public void A_setDataFrame_whose_references_double_each_level_is_never_inflated(int levels)
    {
        // Security review finding 1: re-encoding without AMF0 references turned 422 bytes into about 1 GB.
        var relay = new StreamRelay();
        var (publisher, pid) = Publisher(relay, "cam");
        var (early, esid) = Player(relay, "cam");
        byte[] message = InflatingSetDataFrame(levels);

        publisher.Send(pid, message);
        var (late, lsid) = Player(relay, "cam");

        var frames = early.Output.OnStream(esid).Concat(late.Output.OnStream(lsid))
            .Where(m => !m.IsBarrier && m.Type == RtmpMessageType.DataAmf0 && Describe(m).StartsWith("data:onMetaData", StringComparison.Ordinal))
            .ToList();
        Assert.All(frames, m => Assert.True(m.Message.Length <= message.Length, $"{message.Length} bytes in, {m.Message.Length} out"));
        if (levels == 10)
        {
            // The publisher's own bytes without "@setDataFrame" (16 bytes), at timestamp 0.
            Assert.Equal(2, frames.Count);
            Assert.Equal(message.Length - 16, frames[0].Message.Length);
            Assert.Equal(message.AsSpan(RtmpMessage.HeaderLength + 16).ToArray(), frames[0].Message.Span[RtmpMessage.HeaderLength..].ToArray());
        }
        else
        {
            Assert.Empty(frames);
        }
    }

    [Fact]
    public void ClearDataFrame_forgets_the_cached_metadata_and_is_not_forwarded()
    {
        var relay = new StreamRelay();
        var (publisher, pid) = Publisher(relay, "cam");
        var (early, esid) = Player(relay, "cam");
        publisher.Send(pid, FlashTestClient.Data(0, DataMessage.SetDataFrame, "onMetaData", new AmfObject { ["width"] = 1.0 }));
        publisher.Send(pid, FlashTestClient.Data(0, DataMessage.ClearDataFrame, "onMetaData"));
        publisher.Send(pid, FlashTestClient.Data(5, "onCuePoint", "x"));
        var (late, lsid) = Player(relay, "cam");

        Assert.Equal(["data:onMetaData@0", "data:onCuePoint@5"], Shape(early.Output, esid).Where(s => s.StartsWith("data:on", StringComparison.Ordinal)));
        Assert.DoesNotContain(Shape(late.Output, lsid), s => s.StartsWith("data:on", StringComparison.Ordinal));
    }

    public enum LeaveBy
    {
        CloseStream,
        PublishFalse,
        DeleteStream,
        Disconnect,
    }

    [Theory]
    [InlineData(LeaveBy.CloseStream)]
    [InlineData(LeaveBy.PublishFalse)]
    [InlineData(LeaveBy.DeleteStream)]
    [InlineData(LeaveBy.Disconnect)]
    public void Publisher_leaving_sends_UnpublishNotify_between_barriers_and_players_wait_for_the_next(LeaveBy how)
    {
        var relay = new StreamRelay();
        var (publisher, pid) = Publisher(relay, "cam");
        var players = Enumerable.Range(0, 3).Select(_ => Player(relay, "cam")).ToList();
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Video, 0, VideoFrame(true, 0)));
        publisher.Output.Clear();

        switch (how)
        {
            case LeaveBy.CloseStream:
                publisher.Send(pid, FlashTestClient.CommandMessage("closeStream", 0, AmfNull.Instance));
                Assert.Equal([StatusCode.UnpublishSuccess], publisher.Output.StatusCodes(pid));
                break;
            case LeaveBy.PublishFalse:
                publisher.Send(pid, FlashTestClient.CommandMessage("publish", 0, AmfNull.Instance, false));
                Assert.Equal([StatusCode.UnpublishSuccess], publisher.Output.StatusCodes(pid));
                break;
            case LeaveBy.DeleteStream:
                publisher.Send(0, FlashTestClient.CommandMessage("deleteStream", 0, AmfNull.Instance, (double)pid));
                Assert.Equal([pid], publisher.Output.ClosedStreams);
                break;
            case LeaveBy.Disconnect:
                publisher.Connection.OnPeerClosed(abrupt: true);
                break;
        }

        foreach (var (player, sid) in players)
        {
            Assert.Equal(["key@0", "sync", StatusCode.PlayUnpublishNotify, "sync"], Shape(player.Output, sid).Skip(PlayPreamble.Length + 1));
        }
        Assert.False(relay.Find(new StreamKey("live", "cam"))!.IsLive);

        var (next, nid) = Publisher(relay, "cam");
        next.Send(nid, FlashTestClient.Media(RtmpMessageType.Video, 5000, VideoFrame(true, 1)));
        foreach (var (player, sid) in players)
        {
            Assert.Equal([StatusCode.PlayPublishNotify, "key@5000"], Shape(player.Output, sid).TakeLast(2));
        }
    }

    [Fact]
    public void Publishing_a_live_name_is_BadName_until_the_first_publisher_stops()
    {
        var relay = new StreamRelay();
        var (first, fid) = Publisher(relay, "cam");
        var second = new FlashTestClient(relay);
        second.Connect();
        uint sid = second.CreateStream();
        second.Publish(sid, "cam");
        var bad = second.Output.OnStream(sid).Single();
        Assert.Equal((StatusLevel.Error, StatusCode.PublishBadName), (bad.StatusLevel, bad.StatusCode));
        Assert.Equal(MessageClass.StreamStatus, bad.Class);

        // Media from the refused publisher goes nowhere.
        var (player, pl) = Player(relay, "cam");
        second.Send(sid, FlashTestClient.Media(RtmpMessageType.Video, 0, VideoFrame(true, 9)));
        Assert.Empty(player.Output.Media(pl));
        Assert.Equal(1, second.Connection.Counters.IgnoredMessages);

        first.Send(fid, FlashTestClient.CommandMessage("closeStream", 0, AmfNull.Instance));
        second.Publish(sid, "cam?token=1");
        Assert.Equal(StatusCode.PublishStart, second.Output.OnStream(sid).Last().StatusCode);
    }

    [Fact]
    public void Play_of_an_unknown_stream_waits_for_a_publisher_like_live_relays()
    {
        var relay = new StreamRelay();
        var (player, sid) = Player(relay, "nobody");
        Assert.Equal(PlayPreamble, Shape(player.Output, sid));
        Assert.All(player.Output.OnStream(sid), m => Assert.NotEqual(StatusLevel.Error, m.StatusLevel));

        var (publisher, pid) = Publisher(relay, "nobody");
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Audio, 7, AudioFrame(0)));
        Assert.Equal([StatusCode.PlayPublishNotify, "a@7"], Shape(player.Output, sid).Skip(PlayPreamble.Length));
    }

    [Fact]
    public void Play_refusals_StreamNotFound_by_policy_or_application_and_Play_Failed()
    {
        var relay = new StreamRelay();
        var strict = new NetConnectionOptions { WaitForUnpublishedStreams = false };
        var (p1, s1) = Player(relay, "nobody", strict);
        Assert.Equal([StatusCode.PlayStreamNotFound], Shape(p1.Output, s1));

        var app = new ScriptedApplication
        {
            Play = r => r.Stream.Name == "secret" ? StreamDecision.Deny("members only") : StreamDecision.NotFound("no such show"),
            Publish = _ => StreamDecision.Deny("read-only"),
        };
        var registry = new ApplicationRegistry().Map("*", app);
        var (p2, s2) = Player(relay, "secret", registry: registry);
        var (p3, s3) = Player(relay, "other", registry: registry);
        Assert.Equal([StatusCode.PlayFailed], Shape(p2.Output, s2));
        Assert.Equal([StatusCode.PlayStreamNotFound], Shape(p3.Output, s3));
        Assert.Equal(StatusLevel.Error, p2.Output.OnStream(s2).Single().StatusLevel);

        p3.Publish(s3, "cam");
        Assert.Equal(StatusCode.PublishBadName, p3.Output.OnStream(s3).Last().StatusCode);
        Assert.Equal(0, relay.Count);

        // A live stream satisfies the strict policy.
        Publisher(relay, "cam");
        var (p4, s4) = Player(relay, "cam", strict);
        Assert.Equal([.. PlayPreamble, StatusCode.PlayPublishNotify], Shape(p4.Output, s4));
    }

    [Fact]
    public void Slow_player_drops_stale_frames_and_resumes_at_a_keyframe_while_others_get_everything()
    {
        var time = new ManualTime();
        var options = new NetConnectionOptions { Time = time, AudioLifetime = TimeSpan.FromMilliseconds(300), VideoLifetime = TimeSpan.FromMilliseconds(500) };
        var relay = new StreamRelay();
        var (publisher, pid) = Publisher(relay, "cam", options);
        var (fast, fsid) = Player(relay, "cam", options);
        var (slow, ssid) = Player(relay, "cam", options);
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Video, 0, AvcConfig));

        const int frames = 120, blockAt = 20, unblockAt = 80;
        int fastAtUnblock = 0;
        for (int i = 0; i < frames; i++)
        {
            if (i == blockAt)
            {
                slow.Output.Blocked = true;
            }
            if (i == unblockAt)
            {
                fastAtUnblock = fast.Output.Media(fsid).Count;
                slow.Output.Blocked = false;
                slow.Connection.OnOutputReady();
            }
            publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Video, (uint)(i * 40), VideoFrame(i % 10 == 0, i)));
            publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Audio, (uint)(i * 40), AudioFrame(i)));
            time.Advance(40);
        }

        // The fast player was never held back and got every message.
        Assert.Equal(1 + (2 * unblockAt), fastAtUnblock);
        Assert.Equal(1 + (2 * frames), fast.Output.Media(fsid).Count);

        var slowMedia = slow.Output.Media(ssid);
        Assert.True(slow.Connection.Counters.StaleDrops > 0);
        Assert.True(slowMedia.Count < 1 + (2 * frames));
        foreach (var type in new[] { RtmpMessageType.Audio, RtmpMessageType.Video })
        {
            var ts = slowMedia.Where(m => m.Type == type && !Describe(m).Contains("conf", StringComparison.Ordinal)).Select(m => m.Timestamp).ToList();
            Assert.Equal(ts.Order(), ts);
            Assert.Equal(ts.Distinct().Count(), ts.Count);
        }
        // Nothing queued during the block survived past its lifetime when the transport came back.
        uint unblockMs = unblockAt * 40;
        var resumed = slowMedia.Where(m => m.Timestamp >= blockAt * 40 && m.Type == RtmpMessageType.Video && m.Timestamp != 0).ToList();
        Assert.All(resumed, m => Assert.True(m.Timestamp + 500 >= unblockMs));
        Assert.Equal("key@" + resumed[0].Timestamp, Describe(resumed[0]));
        // Everything after the transport recovered arrived.
        Assert.Equal(2 * (frames - unblockAt), slowMedia.Count(m => m.Timestamp >= unblockMs));
        // Coded media is partially reliable (the transport may abandon it too); headers are reliable.
        Assert.All(slowMedia, m => Assert.Equal(Describe(m).Contains("conf", StringComparison.Ordinal), m.Hints.IsReliable));
        // Each carries to its flow what is left of its lifetime, counted from its arrival (the fast player's at once:
        // all of it but the microseconds since the frame was parsed; the slow player's after waiting in its queue).
        Assert.All(fast.Output.Media(fsid).Where(m => !m.Hints.IsReliable),
            m => Assert.InRange(m.Hints.Lifetime!.Value.TotalMilliseconds, (m.Type == RtmpMessageType.Audio ? 300 : 500) - 20, m.Type == RtmpMessageType.Audio ? 300 : 500));
        Assert.All(slowMedia.Where(m => !m.Hints.IsReliable), m => Assert.InRange(m.Hints.Lifetime!.Value.TotalMilliseconds, 0, m.Type == RtmpMessageType.Audio ? 300 : 500));
        Assert.Contains(slowMedia, m => !m.Hints.IsReliable && m.Hints.Lifetime!.Value.TotalMilliseconds < (m.Type == RtmpMessageType.Audio ? 280 : 480));
    }

    [Fact]
    public void A_frame_that_waited_before_the_players_queue_has_only_the_rest_of_its_lifetime()
    {
        // An overloaded node's fan-out hands frames over late: their lifetime counts from their arrival at the node
        // (MediaFrame.ArrivedTimestamp), once, not again from the player's queue and again from its flow.
        var options = new NetConnectionOptions { AudioLifetime = TimeSpan.FromSeconds(1), VideoLifetime = TimeSpan.FromSeconds(2) };
        var relay = new StreamRelay();
        var (publisher, pid) = Publisher(relay, "cam", options);
        var (player, sid) = Player(relay, "cam", options);
        var publisherId = relay.Find(new StreamKey("live", "cam"))!.Publisher!.Value;
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Video, 0, AvcConfig));
        long arrived = System.Diagnostics.Stopwatch.GetTimestamp() - (3 * System.Diagnostics.Stopwatch.Frequency / 2); // 1.5 s ago
        foreach (var message in new[] { FlashTestClient.Media(RtmpMessageType.Video, 40, VideoFrame(true, 1)), FlashTestClient.Media(RtmpMessageType.Audio, 40, AudioFrame(1)) })
        {
            Assert.True(MediaFrame.TryCreate(message, new AmfReader(), out var frame));
            relay.Tell(new StreamKey("live", "cam"), new PublishFrame(publisherId, frame.ArrivedAt(arrived)));
        }
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Audio, 60, AudioFrame(2)));

        var media = player.Output.Media(sid);
        // The audio frame 1.5 s old is past its 1 s and never leaves; the keyframe leaves with about 0.5 s left; the
        // fresh audio with all of its second.
        Assert.Equal(["vconf@0", "key@40", "a@60"], media.Select(Describe));
        Assert.InRange(media[1].Hints.Lifetime!.Value.TotalMilliseconds, 400, 500);
        Assert.InRange(media[2].Hints.Lifetime!.Value.TotalMilliseconds, 950, 1_000);
        Assert.Equal(1, player.Connection.Counters.StaleDrops);
    }

    [Fact]
    public void Queue_overflow_drops_media_not_headers_and_stays_bounded()
    {
        var options = new NetConnectionOptions { StreamQueueCapacity = 16, Time = new ManualTime() };
        var relay = new StreamRelay();
        var (publisher, pid) = Publisher(relay, "cam", options);
        var (slow, ssid) = Player(relay, "cam", options);
        slow.Output.Blocked = true;
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Video, 0, AvcConfig));
        for (int i = 0; i < 100; i++)
        {
            publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Video, (uint)(i * 40), VideoFrame(i % 30 == 0, i)));
        }
        Assert.True(slow.Connection.Counters.OverflowDrops >= 100 - 16);
        slow.Output.Blocked = false;
        slow.Connection.OnOutputReady();
        var shape = Shape(slow.Output, ssid);
        Assert.Equal([.. PlayPreamble, StatusCode.PlayPublishNotify, "vconf@0"], shape.Take(PlayPreamble.Length + 2));
        // Whatever survived starts at a keyframe.
        var video = shape.Skip(PlayPreamble.Length + 2).ToList();
        Assert.True(video.Count <= 16);
        if (video.Count > 0)
        {
            Assert.StartsWith("key@", video[0], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ReceiveVideo_and_ReceiveAudio_filter_and_video_resumes_with_its_header_at_a_keyframe()
    {
        var relay = new StreamRelay();
        var (publisher, pid) = Publisher(relay, "cam");
        var (player, sid) = Player(relay, "cam");
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Video, 0, AvcConfig));
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Video, 0, VideoFrame(true, 0)));
        player.Send(sid, FlashTestClient.CommandMessage("receiveVideo", 0, AmfNull.Instance, false));
        player.Send(sid, FlashTestClient.CommandMessage("receiveAudio", 0, AmfNull.Instance, false));
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Video, 40, VideoFrame(false, 1)));
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Audio, 40, AudioFrame(1)));
        player.Send(sid, FlashTestClient.CommandMessage("receiveAudio", 0, AmfNull.Instance, true));
        player.Send(sid, FlashTestClient.CommandMessage("receiveVideo", 0, AmfNull.Instance, true));
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Video, 80, VideoFrame(false, 2)));
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Audio, 80, AudioFrame(2)));
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Video, 120, VideoFrame(true, 3)));

        Assert.Equal(["vconf@0", "key@0", "vconf@0", "a@80", "key@120"], Shape(player.Output, sid).Skip(PlayPreamble.Length + 1));
    }

    [Fact]
    public void Pause_stops_media_and_unpause_waits_for_a_keyframe()
    {
        var relay = new StreamRelay();
        var (publisher, pid) = Publisher(relay, "cam");
        var (player, sid) = Player(relay, "cam");
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Video, 0, VideoFrame(true, 0)));
        player.Send(sid, FlashTestClient.CommandMessage("pause", 0, AmfNull.Instance, true, 0.0));
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Video, 40, VideoFrame(true, 1)));
        player.Send(sid, FlashTestClient.CommandMessage("pause", 0, AmfNull.Instance, false, 40.0));
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Video, 80, VideoFrame(false, 2)));
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Video, 120, VideoFrame(true, 3)));

        Assert.Equal(["key@0", StatusCode.PauseNotify, StatusCode.UnpauseNotify, "key@120"], Shape(player.Output, sid).Skip(PlayPreamble.Length + 1));
    }

    [Fact]
    public void Player_closeStream_sends_Play_Stop_and_StreamEOF_and_stops_delivery()
    {
        var relay = new StreamRelay();
        var (publisher, pid) = Publisher(relay, "cam");
        var (player, sid) = Player(relay, "cam");
        player.Send(sid, FlashTestClient.CommandMessage("closeStream", 0, AmfNull.Instance));
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Video, 0, VideoFrame(true, 0)));
        Assert.Equal([StatusCode.PlayStop, "uc:StreamEof"], Shape(player.Output, sid).Skip(PlayPreamble.Length + 1));
        Assert.Equal(0, relay.Find(new StreamKey("live", "cam"))!.SubscriberCount);
    }

    [Fact]
    public void CreateStream_flood_is_bounded_with_clear_errors_and_ids_are_reused()
    {
        var client = new FlashTestClient(new StreamRelay());
        client.Connect();
        client.Output.Clear();
        for (int i = 0; i < 300; i++)
        {
            client.Send(0, FlashTestClient.CommandMessage("createStream", 0, AmfNull.Instance));
        }
        var replies = client.Output.Messages.Select(m => m.AsCommand()!).ToList();
        Assert.Equal(300, replies.Count);
        Assert.Equal(Enumerable.Range(1, 256).Select(i => (double)i), replies.Take(256).Select(r => r.Argument(0)!.AsNumber!.Value));
        Assert.All(replies.Skip(256), r => Assert.Equal("_error", r.Name));
        Assert.All(client.Output.Messages.Skip(256), m => Assert.Equal((StatusLevel.Error, StatusCode.CallFailed), (m.StatusLevel, m.StatusCode)));
        Assert.Equal(44, client.Connection.Counters.RefusedStreams);
        Assert.Equal(256, client.Connection.StreamIds.Count);

        client.Send(0, FlashTestClient.CommandMessage("deleteStream", 0, AmfNull.Instance, 17.0));
        Assert.Equal([17u], client.Output.ClosedStreams);
        Assert.Equal(17u, client.CreateStream());
    }

    [Fact]
    public void Messages_for_streams_the_client_did_not_create_are_ignored()
    {
        var relay = new StreamRelay();
        var client = new FlashTestClient(relay);
        client.Connect();
        client.Output.Clear();
        client.Publish(5, "cam");
        client.Send(5, FlashTestClient.Media(RtmpMessageType.Video, 0, VideoFrame(true, 0)));
        Assert.Empty(client.Output.Messages);
        Assert.Equal(0, relay.Count);
        Assert.Equal(2, client.Connection.Counters.IgnoredMessages);
    }

    [Fact]
    public void Audio_can_be_hinted_onto_network_arrival_order_flows_consistently()
    {
        var options = new NetConnectionOptions { AudioInNetworkArrivalOrder = true };
        var relay = new StreamRelay();
        var (publisher, pid) = Publisher(relay, "cam");
        var (player, sid) = Player(relay, "cam", options);
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Audio, 0, AacConfig));
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Audio, 10, AudioFrame(1)));
        publisher.Send(pid, FlashTestClient.Media(RtmpMessageType.Video, 10, VideoFrame(true, 1)));
        var media = player.Output.Media(sid);
        Assert.Equal([true, true, false], media.Select(m => m.Hints.NetworkArrivalOrder));
        Assert.Equal([true, false, false], media.Select(m => m.Hints.IsReliable));
    }

    [Fact]
    public void Abort_closes_abruptly_and_unpublishes()
    {
        var relay = new StreamRelay();
        var (publisher, _) = Publisher(relay, "cam");
        var (player, sid) = Player(relay, "cam");
        publisher.Connection.Abort();
        Assert.Equal(ConnectionCloseKind.Abrupt, publisher.Output.ClosedAs);
        Assert.Equal(StatusCode.PlayUnpublishNotify, player.Output.StatusCodes(sid).Last());
    }
}
