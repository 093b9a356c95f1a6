using Rtmfp.Cluster;
using Rtmfp.Flash;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Sessions.Tests.Flash;

public class BuildingBlockTests
{
    private sealed class Recorder : IStreamSubscriber
    {
        public List<StreamEvent> Events { get; } = [];

        public void OnStreamEvent(StreamEvent streamEvent) => Events.Add(streamEvent);
    }

    private static MediaFrame Frame(RtmpMessageType type, uint ts, params byte[] payload)
    {
        Assert.True(MediaFrame.TryCreate(FlashTestClient.Media(type, ts, payload), new AmfReader(), out var frame));
        return frame;
    }

    [Theory]
    [InlineData(RtmpMessageType.Video, new byte[] { 0x17, 0x00, 0, 0, 0, 1 }, MediaFrameKind.VideoConfig)]
    [InlineData(RtmpMessageType.Video, new byte[] { 0x17, 0x01, 0, 0, 0 }, MediaFrameKind.VideoKeyframe)]
    [InlineData(RtmpMessageType.Video, new byte[] { 0x27, 0x01, 0, 0, 0 }, MediaFrameKind.VideoInter)]
    [InlineData(RtmpMessageType.Video, new byte[] { 0x17, 0x02, 0, 0, 0 }, MediaFrameKind.VideoSpecial)]
    [InlineData(RtmpMessageType.Video, new byte[] { 0x52, 0x00 }, MediaFrameKind.VideoSpecial)]
    [InlineData(RtmpMessageType.Video, new byte[] { }, MediaFrameKind.VideoSpecial)]
    [InlineData(RtmpMessageType.Video, new byte[] { 0x12, 0xAA }, MediaFrameKind.VideoKeyframe)]
    [InlineData(RtmpMessageType.Video, new byte[] { 0x90, 0x68, 0x76, 0x63, 0x31, 1 }, MediaFrameKind.VideoConfig)]
    [InlineData(RtmpMessageType.Video, new byte[] { 0x91, 0x68, 0x76, 0x63, 0x31, 0, 0, 0 }, MediaFrameKind.VideoKeyframe)]
    [InlineData(RtmpMessageType.Video, new byte[] { 0xA1, 0x68, 0x76, 0x63, 0x31, 0, 0, 0 }, MediaFrameKind.VideoInter)]
    [InlineData(RtmpMessageType.Video, new byte[] { 0x77 }, MediaFrameKind.VideoInter)]
    [InlineData(RtmpMessageType.Audio, new byte[] { 0xAF, 0x00, 0x12, 0x10 }, MediaFrameKind.AudioConfig)]
    [InlineData(RtmpMessageType.Audio, new byte[] { 0xAF, 0x01, 0x21 }, MediaFrameKind.Audio)]
    [InlineData(RtmpMessageType.Audio, new byte[] { 0x2F, 0xFF }, MediaFrameKind.Audio)]
    [InlineData(RtmpMessageType.Audio, new byte[] { }, MediaFrameKind.AudioSpecial)]
    [InlineData(RtmpMessageType.Audio, new byte[] { 0x90, 0x4F, 0x70, 0x75, 0x73, 1 }, MediaFrameKind.AudioConfig)]
    public void Media_is_classified_as_a_relay_needs(RtmpMessageType type, byte[] payload, MediaFrameKind kind)
    {
        var frame = Frame(type, 5, payload);
        Assert.Equal(kind, frame.Kind);
        Assert.Equal(FlashTestClient.Media(type, 5, payload), frame.Message.ToArray());
    }

    [Fact]
    public void SetDataFrame_is_unwrapped_into_pure_AMF0_at_timestamp_zero_and_other_data_is_kept_as_is()
    {
        // AMF3 envelope with an AVM+ string, as librtmfp writes it.
        byte[] payload = [0x00, 0x02, 0x00, 0x0D, .. "@setDataFrame"u8, 0x11, 0x06, 0x15, .. "onMetaData"u8, 0x03, 0x00, 0x01, (byte)'w', 0x00, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x09];
        var frame = Frame(RtmpMessageType.DataAmf3, 900, payload);
        Assert.Equal((MediaFrameKind.DataFrame, "onMetaData", 0u), (frame.Kind, frame.Handler, frame.Timestamp));
        Assert.Equal(RtmpMessageType.DataAmf0, (RtmpMessageType)frame.Message.Span[0]);
        Assert.True(DataMessage.TryRead(RtmpMessageType.DataAmf0, frame.Message.Span[5..], new AmfReader(), out var data));
        Assert.Equal("onMetaData", data.Handler);
        Assert.Equal(2.0, data.Values[0].GetProperty("w")!.AsNumber);

        var cue = Frame(RtmpMessageType.DataAmf0, 77, [0x02, 0x00, 0x03, .. "cue"u8, 0x05]);
        Assert.Equal((MediaFrameKind.Data, 77u), (cue.Kind, cue.Timestamp));
        Assert.False(MediaFrame.TryCreate(FlashTestClient.Media(RtmpMessageType.DataAmf0, 0, 0x02, 0x00), new AmfReader(), out _));
        Assert.False(MediaFrame.TryCreate(FlashTestClient.Media(RtmpMessageType.CommandAmf0, 0, 0x05), new AmfReader(), out _));
    }

    [Fact]
    public void An_AMF3_setDataFrame_is_re_encoded_within_a_bound_or_refused()
    {
        // Security review finding 1, AMF3 form: one 1,000-byte string, then 2,000 two-byte string references
        // (AMF3 §3.8) in a dense array; in AMF0 every reference is written out in full (about 2 MB).
        var body = new List<byte> { 0x00, 0x02, 0x00, 0x0D };
        body.AddRange("@setDataFrame"u8.ToArray());
        body.AddRange([0x02, 0x00, 0x0A, .. "onMetaData"u8]);
        const int references = 2000;
        body.AddRange([0x11, 0x09, 0x9F, 0x23, 0x01]); // AVM+ array, U29 dense count 2001, no associative part
        body.AddRange([0x06, 0x8F, 0x51]); // string of 1,000 bytes (U29 2001)
        body.AddRange(Enumerable.Repeat((byte)'x', 1000));
        for (int i = 0; i < references; i++)
        {
            body.AddRange([0x06, 0x00]); // string reference 0
        }
        byte[] message = FlashTestClient.Media(RtmpMessageType.DataAmf3, 0, [.. body]);

        bool created = MediaFrame.TryCreate(message, new AmfReader(), out var frame);

        long bound = ((long)message.Length * MediaFrame.MaxReencodeGrowth) + MediaFrame.ReencodeSlack;
        Assert.True(!created || frame!.Message.Length <= bound, $"{message.Length} bytes in, {frame?.Message.Length} out");
        Assert.False(created);
    }

    [Fact]
    public void The_data_frame_cache_is_bounded_in_count_and_bytes()
    {
        // Security review finding 8: a publisher naming ever new handlers grew the late joiners' cache without end.
        var stream = new PublishedStream(new StreamKey("live", "cam"));
        var publisher = new PublisherId(1, 1);
        Assert.True(stream.Handle(new StartPublish(publisher)));
        var filler = new AmfString(new string('x', 10_000));
        for (int i = 0; i < 1000; i++)
        {
            byte[] message = FlashTestClient.Data(0, DataMessage.SetDataFrame, $"on{i}", filler);
            stream.Handle(new PublishFrame(publisher, Frame(RtmpMessageType.DataAmf0, 0, message[RtmpMessage.HeaderLength..])));
        }
        var cached = stream.CachedFrames.ToList();
        Assert.True(cached.Count <= PublishedStream.MaxDataFrames, $"{cached.Count} frames cached");
        Assert.True(cached.Sum(f => f.Message.Length) <= PublishedStream.MaxDataFrameBytes);

        // Replacing a kept handler keeps its place.
        var again = Frame(RtmpMessageType.DataAmf0, 0, FlashTestClient.Data(0, DataMessage.SetDataFrame, "on0", 1.0)[RtmpMessage.HeaderLength..]);
        stream.Handle(new PublishFrame(publisher, again));
        Assert.Same(again, stream.CachedFrames.First());

        // Bytes: two frames of 600 KB do not both fit in 1 MiB; the second is forwarded, not kept.
        var bytes = new PublishedStream(new StreamKey("live", "big"));
        Assert.True(bytes.Handle(new StartPublish(publisher)));
        var large = new AmfString(new string('y', 600_000));
        var first = Frame(RtmpMessageType.DataAmf0, 0, FlashTestClient.Data(0, DataMessage.SetDataFrame, "onA", large)[RtmpMessage.HeaderLength..]);
        var second = Frame(RtmpMessageType.DataAmf0, 0, FlashTestClient.Data(0, DataMessage.SetDataFrame, "onB", large)[RtmpMessage.HeaderLength..]);
        bytes.Handle(new PublishFrame(publisher, first));
        bytes.Handle(new PublishFrame(publisher, second));
        Assert.Equal([first], bytes.CachedFrames);
    }

    [Fact]
    public void PublishedStream_takes_plain_messages_and_replays_its_cache_in_order()
    {
        var key = new StreamKey("live", "cam");
        var stream = new PublishedStream(key);
        var a = new PublisherId(1, 1);
        var b = new PublisherId(2, 1);
        var early = new Recorder();
        stream.Handle(new Subscribe(early));
        Assert.Empty(early.Events);

        Assert.True(stream.Handle(new StartPublish(a)));
        Assert.True(stream.Handle(new StartPublish(a)));
        Assert.False(stream.Handle(new StartPublish(b)));
        var meta = Frame(RtmpMessageType.DataAmf0, 0, [0x02, 0x00, 0x0D, .. "@setDataFrame"u8, 0x02, 0x00, 0x0A, .. "onMetaData"u8, 0x05]);
        var aconf = Frame(RtmpMessageType.Audio, 0, 0xAF, 0x00, 0x12, 0x10);
        var vconf = Frame(RtmpMessageType.Video, 0, 0x17, 0x00, 0, 0, 0, 1);
        var key1 = Frame(RtmpMessageType.Video, 10, 0x17, 0x01, 0, 0, 0);
        foreach (var f in new[] { vconf, meta, aconf, key1 })
        {
            stream.Handle(new PublishFrame(a, f));
        }
        stream.Handle(new PublishFrame(b, key1)); // not the publisher: ignored
        Assert.Equal([meta, aconf, vconf], stream.CachedFrames);

        var late = new Recorder();
        stream.Handle(new Subscribe(late));
        Assert.IsType<PublishNotify>(late.Events[0]);
        Assert.Equal([meta, aconf, vconf], late.Events.Skip(1));
        Assert.Equal(5, early.Events.Count); // PublishNotify + four frames

        // A codec change invalidates the cached video configuration (B11).
        stream.Handle(new PublishFrame(a, Frame(RtmpMessageType.Video, 20, 0x22, 0xAA)));
        Assert.Equal([meta, aconf], stream.CachedFrames);

        stream.Handle(new StopPublish(b));
        Assert.True(stream.IsLive);
        stream.Handle(new StopPublish(a));
        Assert.IsType<UnpublishNotify>(late.Events[^1]);
        Assert.Empty(stream.CachedFrames);
        stream.Handle(new Unsubscribe(early));
        stream.Handle(new Unsubscribe(late));
        Assert.True(stream.IsIdle);
    }

    [Fact]
    public void StreamSendQueue_drops_droppable_media_first_then_the_oldest()
    {
        var queue = new StreamSendQueue(1, 3, new RecordingOutput(), new NetConnectionCounters(), TimeProvider.System);
        QueuedMessage M(MediaFrameKind? kind, MessageClass cls) => new(new byte[5], cls, DeliveryHints.Reliable, 0, kind);
        queue.Enqueue(M(null, MessageClass.StreamStatus), out _);
        queue.Enqueue(M(MediaFrameKind.VideoInter, MessageClass.Video), out _);
        queue.Enqueue(M(MediaFrameKind.Audio, MessageClass.Audio), out _);
        Assert.Equal(2, queue.Enqueue(M(MediaFrameKind.VideoConfig, MessageClass.Video), out bool video));
        Assert.True(video);
        Assert.Equal(2, queue.Count);
        queue.Enqueue(M(MediaFrameKind.Data, MessageClass.Data), out _);
        Assert.Equal(1, queue.Enqueue(M(MediaFrameKind.AudioConfig, MessageClass.Audio), out video));
        Assert.False(video);
        Assert.True(queue.TryPeek(out var head));
        Assert.Equal(MediaFrameKind.VideoConfig, head.Kind);
        Assert.Equal(3, queue.Count);
    }

    [Fact]
    public void A_thousand_connects_with_distinct_application_names_leave_the_registry_its_size()
    {
        // Security review finding 7: every distinct name (up to 1 MB each) kept an instance and the name.
        var registry = ApplicationRegistry.CreateDefault().Map("live", new DefaultApplication("live"));
        var relay = new StreamRelay();
        new FlashTestClient(relay, registry).Connect("live");
        new FlashTestClient(relay, registry).Connect("first");
        int size = registry.InstanceCount;
        for (int i = 0; i < 1000; i++)
        {
            new FlashTestClient(relay, registry).Connect($"app{i}-{new string('x', 100)}");
        }
        Assert.Equal(size, registry.InstanceCount);
        Assert.Equal(2, size);

        // A name that is no URI path segment, or too long, is refused before any lookup.
        foreach (string bad in new[] { new string('a', ApplicationRegistry.MaxNameLength + 1), "a b", "caf\u00e9", "x\ny" })
        {
            var client = new FlashTestClient(relay, registry);
            client.Send(0, FlashTestClient.CommandMessage("connect", 1, FlashTestClient.ConnectObject(bad, "rtmfp://127.0.0.1/" + bad)));
            Assert.NotEqual(NetConnectionState.Connected, client.Connection.State);
            Assert.Equal(StatusCode.ConnectInvalidApp, client.Output.Messages.Select(m => m.StatusCode).Last(c => c is not null));
        }
        Assert.Equal(size, registry.InstanceCount);
    }

    [Fact]
    public void ApplicationRegistry_prefers_exact_names_then_the_wildcard_with_one_instance_for_the_wildcard()
    {
        var live = new DefaultApplication("live");
        var registry = new ApplicationRegistry().Map("live", live).Map("*", name => new DefaultApplication(name));
        Assert.True(registry.TryResolve("LIVE", out var app));
        Assert.Same(live, app);
        Assert.True(registry.TryResolve("chat", out var chat1));
        Assert.True(registry.TryResolve("chat", out var chat2));
        Assert.True(registry.TryResolve("other", out var other));
        Assert.Same(chat1, chat2);
        Assert.Same(chat1, other);
        Assert.Equal(ApplicationRegistry.Wildcard, ((DefaultApplication)chat1).Name);

        Assert.False(new ApplicationRegistry().Map("live", live).TryResolve("vod", out _));

        var implementations = new Dictionary<string, Func<string, IFlashApplication>> { ["default"] = n => new DefaultApplication(n) };
        var configured = ApplicationRegistry.FromConfiguration(new Dictionary<string, string> { ["live"] = "default" }, implementations);
        Assert.True(configured.TryResolve("live", out _));
        Assert.False(configured.TryResolve("x", out _));
        Assert.Throws<ArgumentException>(() => ApplicationRegistry.FromConfiguration(new Dictionary<string, string> { ["*"] = "nope" }, implementations));
    }

    [Theory]
    [InlineData("192.0.2.129:50001", true)]
    [InlineData("[2001:db8:1::2]:50002", true)]
    [InlineData("192.0.2.129", false)]
    [InlineData("192.0.2.129:0", false)]
    [InlineData("192.0.2.129:70000", false)]
    [InlineData("192.0.2.129:+5", false)]
    [InlineData("2001:db8::1:5", false)]
    [InlineData("[192.0.2.1]:5", false)]
    [InlineData("[2001:db8::1]5", false)]
    [InlineData("host.example:5", false)]
    [InlineData("", false)]
    public void SetPeerInfo_addresses_parse_only_in_presentation_format(string text, bool ok)
    {
        Assert.Equal(ok, PeerInfoAddress.TryParse(text, out var address));
        if (ok)
        {
            Assert.Equal(text, PeerInfoAddress.Format(address));
            Assert.Equal(AddressOrigin.Local, address.Origin);
        }
    }

    [Fact]
    public void PeerId_round_trips_and_compares_by_value()
    {
        byte[] bytes = [.. Enumerable.Range(0, 32).Select(i => (byte)(i * 7))];
        var id = PeerId.FromBytes(bytes);
        Assert.Equal(bytes, id.ToArray());
        Assert.Equal(id, PeerId.FromBytes(bytes.ToArray()));
        bytes[31] ^= 1;
        Assert.NotEqual(id, PeerId.FromBytes(bytes));
        Assert.False(PeerId.TryCreate(new byte[33], out _));
        Assert.Equal(64, id.ToString().Length);
    }
}
