using Rtmfp.Cluster;
using Rtmfp.Client;
using Rtmfp.Client.Flash;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Integration.Tests.Flash;

/// <summary>The .NET Flash client library (Rtmfp.Client.Flash) against a node over real UDP on 127.0.0.1.</summary>
public class FlashClientTests(SharedNode shared) : IClassFixture<SharedNode>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private string Url(string app = "live") => $"rtmfp://{shared.Node.Endpoint}/{app}";

    private Task<FlashNetConnection> ConnectAsync(string app = "live") => FlashNetConnection.ConnectAsync(Url(app));

    [Fact(Timeout = 60_000)]
    public async Task Connect_succeeds_and_the_server_sets_keepalive_timers()
    {
        await using var nc = await ConnectAsync();
        Assert.True(NetStatus.TryReadInfo(nc.ConnectInfo, out _, out var code, out _));
        Assert.Equal(StatusCode.ConnectSuccess, code);
        // RFC 7425 §5.3.4: Set Keepalive Timers follows the connect result (node: 15 s / 10 s).
        var keepalive = await ReadEventsUntil(nc, m => m.Type == RtmpMessageType.UserControl);
        Assert.NotNull(keepalive);
        Assert.Equal((15_000u, 10_000u), nc.KeepaliveTimers);
    }

    [Fact(Timeout = 60_000)]
    public async Task Twenty_players_receive_every_frame_in_order_with_its_timestamp()
    {
        const int Players = 20, VideoFrames = 50, AudioFrames = 100;
        var players = new List<(FlashNetConnection Nc, FlashNetStream Ns)>();
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, Players), async (_, ct) =>
            {
                var nc = await ConnectAsync();
                var ns = await nc.CreateStreamAsync(ct);
                await ns.PlayAsync("fanout", ct);
                lock (players)
                {
                    players.Add((nc, ns));
                }
            });
            await using var publisher = await ConnectAsync();
            var stream = await publisher.CreateStreamAsync();
            await stream.PublishAsync("fanout");
            PublishSynthetic(stream, VideoFrames, AudioFrames);

            await Task.WhenAll(players.Select(p => ReceiveWholeStreamAsync(p.Ns, VideoFrames, AudioFrames, Patience)));
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
    public async Task A_publisher_that_flushes_before_it_closes_delivers_its_last_frames()
    {
        // The relay CLI closed its publisher right after its last frames, and a loaded CI machine counted 12 lost: what
        // still waited for the congestion window went with the session (RFC 7016 §3.5.5). FlushAsync waits until the
        // server acknowledged it all. A burst of ~110 KB is far more than the first round trips' window.
        const int VideoFrames = 100, AudioFrames = 200;
        await using var nc = await ConnectAsync();
        var ns = await nc.CreateStreamAsync();
        await ns.PlayAsync("flush-then-close");
        var publisher = await ConnectAsync();
        var stream = await publisher.CreateStreamAsync();
        await stream.PublishAsync("flush-then-close");
        PublishSynthetic(stream, VideoFrames, AudioFrames);
        Assert.True(await stream.FlushAsync(Patience), "the server acknowledged every frame");
        await publisher.DisposeAsync();

        await ReceiveWholeStreamAsync(ns, VideoFrames, AudioFrames, Patience);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_late_joiner_gets_metadata_and_sequence_headers_then_frames_from_a_keyframe()
    {
        await using var publisher = await ConnectAsync();
        var stream = await publisher.CreateStreamAsync();
        await stream.PublishAsync("late");
        await using var watcher = await ConnectAsync();
        var watching = await watcher.CreateStreamAsync();
        await watching.PlayAsync("late");
        PublishSynthetic(stream, videoFrames: 30, audioFrames: 60); // keyframes at 0 and 25
        // Joining late means after the node's stream handled every frame: a player already there has the last video
        // and audio frame (each after its sequence header on its flow) and the metadata.
        await Collect(watching, r => r.Data.Any(d => d.Handler == DataMessage.OnMetaData) && HasFrame(r.Video, 29) && HasFrame(r.Audio, 59));

        await using var nc = await ConnectAsync();
        var ns = await nc.CreateStreamAsync();
        await ns.PlayAsync("late");
        var received = await Collect(ns, r => r.Data.Any(d => d.Handler == DataMessage.OnMetaData) && r.Video.Count >= 1 && r.Audio.Count >= 1,
            TimeSpan.FromSeconds(10));
        var meta = received.Data.First(d => d.Handler == DataMessage.OnMetaData);
        Assert.Equal(25.0, meta.Values[0].GetProperty("framerate")?.AsNumber);
        Assert.True(VideoTag.TryParse(received.Video[0].Payload.Span, out var video) && video.IsAvcSequenceHeader);
        Assert.True(AudioTag.TryParse(received.Audio[0].Payload.Span, out var audio) && audio.IsAacSequenceHeader);

        // New frames after joining start with a keyframe.
        uint next = 30;
        for (uint i = 0; i < 30; i++)
        {
            uint seq = next + i;
            stream.SendVideo(seq * 40, SyntheticMedia.VideoFrame(seq % 25 == 0, seq, MonotonicClock.NowMs, 200));
        }
        received = await Collect(ns, r => r.Video.Count >= 2, TimeSpan.FromSeconds(10), received);
        Assert.True(VideoTag.TryParse(received.Video[1].Payload.Span, out var firstFrame) && firstFrame.IsKeyframe);
        Assert.True(SyntheticMedia.TryReadStamp(received.Video[1].Payload.Span, out uint firstSeq, out _));
        Assert.True(firstSeq == 50, $"first frame {firstSeq} is not the first keyframe sent after joining");
    }

    private static bool HasFrame(List<FlashMessage> frames, uint seq) =>
        frames.Any(f => SyntheticMedia.TryReadStamp(f.Payload.Span, out uint s, out _) && s == seq);

    [Fact(Timeout = 60_000)]
    public async Task A_player_with_nothing_to_receive_keeps_its_keepalive_within_the_playing_interval()
    {
        // A player whose gateway died behind a balancer is heard again only when it sends: its keepalive, tightened
        // once it plays (RtmfpClientOptions.PlayingKeepaliveInterval, 3 s; 15 s otherwise) so it resumes within 10 s.
        await using var nc = await ConnectAsync();
        var ns = await nc.CreateStreamAsync();
        await ns.PlayAsync("nobody-publishes");
        var interval = nc.Rtmfp.Options.PlayingKeepaliveInterval;
        var deadline = DateTime.UtcNow + Patience;
        TimeSpan next;
        // Acknowledgements settle first; then the next timer is the keepalive, counted from the last packet received.
        while ((next = await nc.Rtmfp.NextTimerAsync().WaitAsync(Patience)) < TimeSpan.FromMilliseconds(500) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.InRange(next, TimeSpan.Zero, interval);
    }

    [Fact(Timeout = 60_000)]
    public async Task Players_get_unpublish_notify_when_the_publisher_leaves()
    {
        await using var nc = await ConnectAsync();
        var ns = await nc.CreateStreamAsync();
        await ns.PlayAsync("leaving");
        var publisher = await ConnectAsync();
        var stream = await publisher.CreateStreamAsync();
        var published = ns.WaitForStatusAsync(StatusCode.PlayPublishNotify);
        await stream.PublishAsync("leaving");
        await published.WaitAsync(Patience);
        var unpublished = ns.WaitForStatusAsync(StatusCode.PlayUnpublishNotify);
        await publisher.CloseAsync();
        var status = await unpublished.WaitAsync(Patience);
        Assert.Equal(StatusLevel.Status, status.StatusLevel);
    }

    [Fact(Timeout = 60_000)]
    public async Task Publishing_over_an_existing_name_is_bad_name()
    {
        await using var first = await ConnectAsync();
        await (await first.CreateStreamAsync()).PublishAsync("taken");
        await using var second = await ConnectAsync();
        var stream = await second.CreateStreamAsync();
        var failure = await Assert.ThrowsAsync<FlashCallException>(() => stream.PublishAsync("taken").WaitAsync(Patience));
        Assert.Equal(StatusCode.PublishBadName, failure.Code);
    }

    [Fact(Timeout = 60_000)]
    public async Task Playing_an_unknown_stream_starts_and_waits_for_a_publisher()
    {
        // The node's default (WaitForUnpublishedStreams): Play.Reset + Play.Start now, PublishNotify when it appears.
        await using var nc = await ConnectAsync();
        var ns = await nc.CreateStreamAsync();
        var reset = ns.WaitForStatusAsync(StatusCode.PlayReset);
        var start = await ns.PlayAsync("nobody-yet").WaitAsync(Patience);
        Assert.Equal(StatusCode.PlayStart, start.StatusCode);
        Assert.True((await reset.WaitAsync(Patience)).ReceivedTimestamp <= start.ReceivedTimestamp);
        await using var publisher = await ConnectAsync();
        var published = ns.WaitForStatusAsync(StatusCode.PlayPublishNotify);
        await (await publisher.CreateStreamAsync()).PublishAsync("nobody-yet");
        await published.WaitAsync(Patience);
    }

    [Fact(Timeout = 60_000)]
    public async Task An_unknown_command_is_answered_with_error_and_the_connection_goes_on()
    {
        await using var nc = await ConnectAsync();
        var failure = await Assert.ThrowsAsync<FlashCallException>(() => nc.CallAsync("noSuchMethod", ["x"]).WaitAsync(Patience));
        Assert.Equal(StatusCode.CallFailed, failure.Code);
        var stream = await nc.CreateStreamAsync().WaitAsync(Patience);
        Assert.True(stream.StreamId >= 1);
    }

    [Fact(Timeout = 60_000)]
    public async Task Malformed_amf_on_the_control_flow_leaves_the_connection_working()
    {
        await using var nc = await ConnectAsync();
        nc.SendRaw([(byte)RtmpMessageType.CommandAmf0, 0, 0, 0, 0, 0x02, 0xFF, 0xFF, 0x41]); // string longer than its message
        nc.SendRaw([(byte)RtmpMessageType.CommandAmf3, 0, 0, 0, 0, 0x07]); // AMF3 envelope without its 0 byte
        nc.SendRaw([(byte)RtmpMessageType.DataAmf0, 0, 0]); // shorter than the RTMP header
        nc.SendRaw([0x7F, 0, 0, 0, 0, 1, 2, 3]); // unknown message type
        var stream = await nc.CreateStreamAsync().WaitAsync(Patience);
        await stream.PublishAsync("after-garbage").WaitAsync(Patience);
        Assert.False(nc.Closed.IsCompleted);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_flood_of_createStream_gets_bounded_errors_and_no_crash()
    {
        const int Flood = 1000;
        await using var nc = await ConnectAsync();
        var calls = Enumerable.Range(0, Flood).Select(_ => nc.CallAsync(CommandName.CreateStream)).ToList();
        int results = 0, errors = 0;
        foreach (var call in calls)
        {
            try
            {
                await call.WaitAsync(Patience);
                results++;
            }
            catch (FlashCallException e)
            {
                Assert.Equal(StatusCode.CallFailed, e.Code);
                errors++;
            }
        }
        Assert.Equal(256, results); // NetConnectionOptions.MaxStreamsPerConnection
        Assert.Equal(Flood - 256, errors);
        // Still serving: another connection works and this one answers calls.
        await Assert.ThrowsAsync<FlashCallException>(() => nc.CallAsync("noSuchMethod").WaitAsync(Patience));
        await using var other = await ConnectAsync();
        await (await other.CreateStreamAsync()).PublishAsync("after-flood").WaitAsync(Patience);
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>onMetaData, AVC and AAC sequence headers, then 25 fps video (keyframe every 25) and 50/s audio.</summary>
    internal static void PublishSynthetic(FlashNetStream stream, int videoFrames, int audioFrames)
    {
        stream.SendMetadata(SyntheticMetadata());
        stream.SendVideo(0, SyntheticMedia.AvcSequenceHeader());
        stream.SendAudio(0, SyntheticMedia.AacSequenceHeader());
        for (uint v = 0, a = 0; v < videoFrames || a < audioFrames;)
        {
            if (v < videoFrames && (a >= audioFrames || v * 40 <= a * 20))
            {
                stream.SendVideo(v * 40, SyntheticMedia.VideoFrame(v % 25 == 0, v, MonotonicClock.NowMs, SyntheticVideoBytes(v)));
                v++;
            }
            else
            {
                stream.SendAudio(a * 20, SyntheticMedia.AudioFrame(a, MonotonicClock.NowMs, SyntheticAudioBytes));
                a++;
            }
        }
    }

    private const int SyntheticAudioBytes = 180;

    /// <summary>A keyframe every 25 frames (one a second at 25 fps), larger than the frames between.</summary>
    private static int SyntheticVideoBytes(uint frame) => frame % 25 == 0 ? 3000 : 600;

    private static AmfObject SyntheticMetadata() =>
        new() { ["width"] = 640.0, ["height"] = 360.0, ["framerate"] = 25.0, ["videocodecid"] = 7.0, ["audiocodecid"] = 10.0 };

    /// <summary>
    /// The RTMP message bytes (type, timestamp, payload; RFC 7425 §5.1.2) one player is relayed for
    /// <see cref="PublishSynthetic"/>: onMetaData as the node forwards it (the publisher's AMF0 without its
    /// <c>@setDataFrame</c> string), both sequence headers and every frame.
    /// </summary>
    internal static long SyntheticMessageBytes(int videoFrames, int audioFrames)
    {
        var metadata = new System.Buffers.ArrayBufferWriter<byte>();
        new DataMessage(DataMessage.OnMetaData, SyntheticMetadata()).WriteMessage(metadata, new Amf0Writer(), timestamp: 0);
        long bytes = metadata.WrittenCount + RtmpMessage.HeaderLength + SyntheticMedia.AvcSequenceHeader().Length
            + RtmpMessage.HeaderLength + SyntheticMedia.AacSequenceHeader().Length;
        for (uint v = 0; v < videoFrames; v++)
        {
            bytes += RtmpMessage.HeaderLength + SyntheticVideoBytes(v);
        }
        return bytes + (long)audioFrames * (RtmpMessage.HeaderLength + SyntheticAudioBytes);
    }

    /// <summary>
    /// What each player of <see cref="PublishSynthetic"/> gets: PublishNotify, onMetaData, both sequence headers first,
    /// then every frame in order with its timestamp.
    /// </summary>
    internal static async Task ReceiveWholeStreamAsync(FlashNetStream ns, int videoFrames, int audioFrames, TimeSpan patience)
    {
        var received = await Collect(ns, r => r.Video.Count >= videoFrames + 1 && r.Audio.Count >= audioFrames + 1, patience);
        AssertWholeStream(received, videoFrames, audioFrames);
    }

    /// <summary>The publish notification, metadata, both sequence headers first, then every frame in order with its timestamp.</summary>
    internal static void AssertWholeStream(Received received, int videoFrames, int audioFrames)
    {
        Assert.Contains(StatusCode.PlayPublishNotify, received.Statuses);
        Assert.Contains(received.Data, d => d.Handler == DataMessage.OnMetaData);
        Assert.True(VideoTag.TryParse(received.Video[0].Payload.Span, out var first) && first.IsAvcSequenceHeader);
        Assert.True(AudioTag.TryParse(received.Audio[0].Payload.Span, out var firstAudio) && firstAudio.IsAacSequenceHeader);
        AssertFrames(received.Video.Skip(1), videoFrames, 40);
        AssertFrames(received.Audio.Skip(1), audioFrames, 20);
    }

    internal static void AssertFrames(IEnumerable<FlashMessage> frames, int count, uint interval)
    {
        uint expected = 0;
        foreach (var frame in frames)
        {
            Assert.True(SyntheticMedia.TryReadStamp(frame.Payload.Span, out uint seq, out _));
            Assert.Equal(expected, seq);
            Assert.Equal(seq * interval, frame.Timestamp);
            expected++;
        }
        Assert.Equal((uint)count, expected);
    }

    internal sealed class Received
    {
        public List<FlashMessage> Video { get; } = [];
        public List<FlashMessage> Audio { get; } = [];
        public List<DataMessage> Data { get; } = [];
        public List<string> Statuses { get; } = [];
    }

    /// <summary>
    /// What arrived until <paramref name="until"/> held or <paramref name="patience"/> ran out, without throwing for the
    /// latter: the caller checks what it needs and says what fell short (with <see cref="Describe"/> for the fan-outs).
    /// </summary>
    internal static async Task<Received> CollectWhatArrivesAsync(FlashNetStream stream, Func<Received, bool> until, TimeSpan patience)
    {
        var received = new Received();
        try
        {
            await Collect(stream, until, patience, received);
        }
        catch (OperationCanceledException)
        {
        }
        return received;
    }

    /// <summary>A failure message's account of nodes' fan-outs: what each dropped as stale or gated, sent directly and queued.</summary>
    internal static string Describe(params Rtmfp.Sessions.Streams.StreamFanout[] fanouts) =>
        string.Join(" / ", fanouts.Select(f => $"{f.Freshness.StaleDrops} stale + {f.Freshness.GatedDrops} gated drops, {f.Direct} direct, {f.Queued} queued"));

    internal static async Task<Received> Collect(FlashNetStream stream, Func<Received, bool> until, TimeSpan? patience = null, Received? into = null)
    {
        var received = into ?? new Received();
        using var cts = new CancellationTokenSource(patience ?? Patience);
        while (!until(received))
        {
            var m = await stream.Messages.ReadAsync(cts.Token);
            switch (m.Type)
            {
                case RtmpMessageType.Video:
                    received.Video.Add(m);
                    break;
                case RtmpMessageType.Audio:
                    received.Audio.Add(m);
                    break;
                default:
                    if (m.Data is { } data)
                    {
                        received.Data.Add(data);
                    }
                    if (m.StatusCode is { } code)
                    {
                        received.Statuses.Add(code);
                    }
                    break;
            }
        }
        return received;
    }

    private static async Task<FlashMessage?> ReadEventsUntil(FlashNetConnection nc, Func<FlashMessage, bool> match)
    {
        using var cts = new CancellationTokenSource(Patience);
        while (true)
        {
            var m = await nc.Events.ReadAsync(cts.Token);
            if (match(m))
            {
                return m;
            }
        }
    }
}
