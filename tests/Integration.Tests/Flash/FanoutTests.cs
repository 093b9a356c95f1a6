using System.Diagnostics;
using Rtmfp.Client;
using Rtmfp.Client.Flash;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Sessions.Streams;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Integration.Tests.Flash;

/// <summary>
/// Issue 12, the node's stream fan-out (docs/decisions.md, "Stream fan-out") end to end over UDP on 127.0.0.1: many
/// players served in one loop, and a lossy player that loses only its own frames. The late joiner's metadata and
/// sequence headers first: FlashClientTests; players on two nodes and the messages per frame: TwoNodeTests.
/// </summary>
public class FanoutTests(SharedNode shared) : IClassFixture<SharedNode>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private string Url => $"rtmfp://{shared.Node.Endpoint}/live";

    private async Task<List<(FlashNetConnection Nc, FlashNetStream Ns)>> PlayersAsync(string url, string name, int count)
    {
        var players = new List<(FlashNetConnection Nc, FlashNetStream Ns)>();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (_, ct) =>
        {
            var nc = await FlashNetConnection.ConnectAsync(url).WaitAsync(Patience, ct);
            lock (players)
            {
                players.Add((nc, null!));
            }
            var ns = await nc.CreateStreamAsync(ct);
            await ns.PlayAsync(name, ct);
            lock (players)
            {
                players[players.FindIndex(p => p.Nc == nc)] = (nc, ns);
            }
        });
        return players;
    }

    private static async Task DisposeAllAsync(List<(FlashNetConnection Nc, FlashNetStream Ns)> players) =>
        await Task.WhenAll(players.Select(p => p.Nc.DisposeAsync().AsTask()));

    [Fact(Timeout = 180_000)]
    public async Task Two_hundred_players_receive_every_frame_in_order_with_its_timestamp_through_the_node_fan_out()
    {
        const int Players = 200, VideoFrames = 30, AudioFrames = 60;
        // A node of its own whose media stays worth sending for a minute (1 s audio, 2 s video by default): the frames are
        // published all at once, and on a loaded 2-core CI machine 18,000 deliveries can take longer than the default
        // lifetimes, which would then drop frames as they should. This test is about the loop delivering every frame in
        // order; the lifetimes have their own tests (StaleMediaFilter, NetStream, the lossy player below).
        await using var node = await RunningNode.StartAsync(("Rtmfp:Streams:AudioLifetime", "60s"), ("Rtmfp:Streams:VideoLifetime", "60s"));
        var url = $"rtmfp://{node.Endpoint}/live";
        var fanout = StreamFanout.Of(node.System)!;
        var players = await PlayersAsync(url, "fanout-200", Players);
        try
        {
            long direct = fanout.Direct, queued = fanout.Queued, events = fanout.NodeEvents, acknowledgements = fanout.AcknowledgementsTaken;
            await using var publisher = await FlashNetConnection.ConnectAsync(url).WaitAsync(Patience);
            var stream = await publisher.CreateStreamAsync();
            await stream.PublishAsync("fanout-200");
            FlashClientTests.PublishSynthetic(stream, VideoFrames, AudioFrames);

            var received = await Task.WhenAll(players.Select(p => FlashClientTests.CollectWhatArrivesAsync(p.Ns,
                r => r.Video.Count >= VideoFrames + 1 && r.Audio.Count >= AudioFrames + 1, Patience)));
            var incomplete = received.Where(r => r.Video.Count < VideoFrames + 1 || r.Audio.Count < AudioFrames + 1).ToList();
            Assert.True(incomplete.Count == 0, $"{incomplete.Count} of {Players} players did not get the whole stream within {Patience.TotalSeconds:0} s "
                + $"(video/audio messages of the first five: {string.Join(", ", incomplete.Take(5).Select(r => $"{r.Video.Count}/{r.Audio.Count}"))} "
                + $"of {VideoFrames + 1}/{AudioFrames + 1}); fan-out since start: {FlashClientTests.Describe(fanout)}");
            foreach (var r in received)
            {
                FlashClientTests.AssertWholeStream(r, VideoFrames, AudioFrames);
            }
            // One node message per event (publish notification, metadata, two headers, media), however many players.
            const int Events = 1 + 3 + VideoFrames + AudioFrames;
            Assert.InRange(fanout.NodeEvents - events, Events, Events + 1);
            long deliveries = fanout.Direct - direct + fanout.Queued - queued;
            Assert.InRange(deliveries, (long)Events * Players, ((long)Events + 1) * Players);
            // The loop itself sends (a broken direct path leaves every delivery to the sessions' actors). Its share is
            // a matter of load, not correctness: 16 % on a loaded 2-core CI run, most on an idle one; bench/fanout.sh
            // prints it with the node's figures.
            Assert.True(fanout.Direct - direct > 0, $"none of {deliveries} deliveries in the fan-out's own loop");
            // The players' acknowledgement-only packets go into their idle sessions on the gateway's receive thread (a broken
            // fast path leaves them all to the actors; every frame above still arrived in order through both).
            Assert.True(fanout.AcknowledgementsTaken - acknowledgements > 0, "no acknowledgement taken on the receive thread");
        }
        finally
        {
            await DisposeAllAsync(players);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task A_player_behind_ten_percent_loss_gets_its_frames_in_order_and_does_not_slow_the_others()
    {
        const int Clean = 8, VideoFrames = 100, AudioFrames = 200; // 4 s at 25 fps, sent in real time
        await using var relay = new LossyRelay(shared.Node.Endpoint, seed: 12, loss: 0.10, duplicate: 0, reorder: 0);
        var players = await PlayersAsync(Url, "fanout-lossy", Clean);
        var lossy = await PlayersAsync($"rtmfp://{relay.Endpoint}/live", "fanout-lossy", 1);
        try
        {
            await using var publisher = await FlashNetConnection.ConnectAsync(Url).WaitAsync(Patience);
            var stream = await publisher.CreateStreamAsync();
            await stream.PublishAsync("fanout-lossy");
            var lossyFrames = Task.Run(() => CollectUntilQuiet(lossy[0].Ns));
            var clean = players.Select(p => FlashClientTests.Collect(p.Ns, r => r.Video.Count >= VideoFrames + 1 && r.Audio.Count >= AudioFrames + 1, Patience)).ToArray();
            await PublishInRealTimeAsync(stream, VideoFrames, AudioFrames);

            var delays = new List<long>();
            foreach (var received in await Task.WhenAll(clean))
            {
                FlashClientTests.AssertFrames(received.Video.Skip(1), VideoFrames, 40);
                FlashClientTests.AssertFrames(received.Audio.Skip(1), AudioFrames, 20);
                delays.AddRange(received.Video.Skip(1).Concat(received.Audio.Skip(1)).Select(DelayMs));
            }
            delays.Sort();
            long p90 = delays[delays.Count * 9 / 10];
            // Not held back by the lossy player's retransmissions and its full window (generous: a loaded CI machine).
            Assert.True(p90 < 500, $"clean players' p90 added delay {p90} ms; {relay}");

            var (video, audio) = await lossyFrames;
            AssertInOrder(video, 40);
            AssertInOrder(audio, 20);
            Assert.True(video.Count > VideoFrames / 3, $"lossy player got {video.Count} of {VideoFrames} video frames; {relay}");
            Assert.True(relay.Dropped > 0, relay.ToString());
        }
        finally
        {
            await DisposeAllAsync(players);
            await DisposeAllAsync(lossy);
        }
    }

    private static long DelayMs(FlashMessage m)
    {
        Assert.True(SyntheticMedia.TryReadStamp(m.Payload.Span, out _, out long sentAt));
        return (m.ReceivedTimestamp * 1000 / Stopwatch.Frequency) - sentAt;
    }

    /// <summary>Media frames of the stream, with their own sequence numbers, until nothing came for 3 s.</summary>
    private static async Task<(List<FlashMessage> Video, List<FlashMessage> Audio)> CollectUntilQuiet(FlashNetStream stream)
    {
        var video = new List<FlashMessage>();
        var audio = new List<FlashMessage>();
        while (true)
        {
            using var quiet = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            FlashMessage m;
            try
            {
                m = await stream.Messages.ReadAsync(quiet.Token);
            }
            catch (OperationCanceledException)
            {
                return (video, audio);
            }
            var into = m.Type == RtmpMessageType.Video ? video : m.Type == RtmpMessageType.Audio ? audio : null;
            if (into is not null && SyntheticMedia.TryReadStamp(m.Payload.Span, out _, out _))
            {
                into.Add(m); // sequence headers carry no stamp
            }
        }
    }

    /// <summary>Strictly increasing sequence numbers (gaps allowed: stale media is dropped), each at its own timestamp.</summary>
    private static void AssertInOrder(List<FlashMessage> frames, uint interval)
    {
        long last = -1;
        foreach (var frame in frames)
        {
            Assert.True(SyntheticMedia.TryReadStamp(frame.Payload.Span, out uint seq, out _));
            Assert.True(seq > last, $"frame {seq} after {last}");
            Assert.Equal(seq * interval, frame.Timestamp);
            last = seq;
        }
    }

    private static async Task PublishInRealTimeAsync(FlashNetStream stream, int videoFrames, int audioFrames)
    {
        stream.SendMetadata(new Shared.Amf.AmfObject { ["framerate"] = 25.0, ["videocodecid"] = 7.0, ["audiocodecid"] = 10.0 });
        stream.SendVideo(0, SyntheticMedia.AvcSequenceHeader());
        stream.SendAudio(0, SyntheticMedia.AacSequenceHeader());
        var clock = Stopwatch.StartNew();
        for (uint v = 0, a = 0; v < videoFrames || a < audioFrames;)
        {
            bool video = v < videoFrames && (a >= audioFrames || v * 40 <= a * 20);
            uint due = video ? v * 40 : a * 20;
            if (clock.ElapsedMilliseconds < due)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(due - clock.ElapsedMilliseconds));
            }
            if (video)
            {
                stream.SendVideo(v * 40, SyntheticMedia.VideoFrame(v % 25 == 0, v, MonotonicClock.NowMs, v % 25 == 0 ? 3000 : 600));
                v++;
            }
            else
            {
                stream.SendAudio(a * 20, SyntheticMedia.AudioFrame(a, MonotonicClock.NowMs, 180));
                a++;
            }
        }
    }
}
