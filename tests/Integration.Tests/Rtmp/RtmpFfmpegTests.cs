using System.CommandLine;
using Rtmfp.Client.Flash;
using Rtmfp.ClientCli;
using Rtmfp.Integration.Tests.Flash;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Integration.Tests.Rtmp;

/// <summary>
/// RTMP beside RTMFP with Debian's ffmpeg as the independent RTMP client (issue 13): ffmpeg publishes over RTMP to
/// RTMFP players and to an ffmpeg recording over RTMP; our RTMFP publisher is recorded by ffmpeg over RTMP.
/// </summary>
public sealed class RtmpFfmpegTests(SharedNode shared) : IClassFixture<SharedNode>, IDisposable
{
    private const int ClipSeconds = 3;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _directory = Directory.CreateTempSubdirectory("rtmp-ffmpeg-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact(Timeout = 120_000)]
    public async Task Ffmpeg_publishes_over_RTMP_to_20_RTMFP_players_and_an_RTMP_recording_with_every_frame_and_timestamp()
    {
        var ct = TestContext.Current.CancellationToken;
        string clip = Path.Combine(_directory, "clip.flv"), recording = Path.Combine(_directory, "recording.flv");
        await Ffmpeg.MakeClipAsync(clip, ClipSeconds, ct);
        var expected = Ffmpeg.ReadTags(clip);
        var players = new List<(FlashNetConnection Nc, FlashNetStream Ns)>();
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, 20), ct, async (_, token) =>
            {
                var nc = await FlashNetConnection.ConnectAsync($"rtmfp://{shared.Node.Endpoint}/live").WaitAsync(Patience, token);
                var ns = await nc.CreateStreamAsync(token).WaitAsync(Patience, token);
                await ns.PlayAsync("obs-key", token).WaitAsync(Patience, token);
                lock (players)
                {
                    players.Add((nc, ns));
                }
            });
            // ffmpeg records over RTMP from before the publication until it ends (Play.UnpublishNotify, StreamEOF).
            long playing = Ffmpeg.RtmpMetrics(shared.Node).Players;
            var record = Ffmpeg.RunAsync(ct, Patience, "-y", "-loglevel", "error", "-i", Ffmpeg.RtmpUrl(shared.Node, "live/obs-key"), "-c", "copy", recording);
            await Ffmpeg.WaitForRtmpPlayerAsync(shared.Node, playing, record);
            var (publishCode, publishOutput) = await Ffmpeg.RunAsync(ct, Patience, "-loglevel", "error", "-re", "-i", clip, "-c", "copy", "-f", "flv",
                Ffmpeg.RtmpUrl(shared.Node, "live/obs-key"));
            Assert.True(publishCode == 0, publishOutput);

            await AssertEveryPlayerGetsTheClipAsync(players, expected);
            var (recordCode, recordOutput) = await record;
            Assert.True(recordCode == 0, recordOutput);
            await AssertSameShapeAsync(clip, recording, ct);
        }
        finally
        {
            await DisposeAllAsync(players);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task An_RTMFP_publisher_is_recorded_by_ffmpeg_over_RTMP_with_the_same_streams_and_duration()
    {
        var ct = TestContext.Current.CancellationToken;
        string clip = Path.Combine(_directory, "clip.flv"), recording = Path.Combine(_directory, "recording.flv");
        await Ffmpeg.MakeClipAsync(clip, ClipSeconds, ct);
        long playing = Ffmpeg.RtmpMetrics(shared.Node).Players;
        var record = Ffmpeg.RunAsync(ct, Patience, "-y", "-loglevel", "error", "-i", Ffmpeg.RtmpUrl(shared.Node, "live/from-rtmfp"), "-c", "copy", recording);
        await Ffmpeg.WaitForRtmpPlayerAsync(shared.Node, playing, record);
        // Our RTMFP publisher (rtmfp publish: the clip in real time over RTMFP).
        var output = new StringWriter();
        int code = await new CliApp().Parse(["publish", $"rtmfp://{shared.Node.Endpoint}/live", clip, "--stream", "from-rtmfp", "--bind", "127.0.0.1"])
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = output }, ct);
        Assert.True(code == ExitCodes.Success, output.ToString());
        var (recordCode, recordOutput) = await record;
        Assert.True(recordCode == 0, recordOutput);
        // Every tag of the clip is in the recording, with its timestamp (checked first: it says which tags are missing).
        var recorded = Ffmpeg.ReadTags(recording);
        foreach (var type in new[] { FlvTagType.Video, FlvTagType.Audio })
        {
            Assert.Equal(Ffmpeg.ReadTags(clip).Where(t => t.Type == type).Select(t => t.Timestamp), recorded.Where(t => t.Type == type).Select(t => t.Timestamp));
        }
        await AssertSameShapeAsync(clip, recording, ct);
    }

    /// <summary>Every player got onMetaData and every audio and video tag of the clip, in order, with its timestamp and bytes.</summary>
    internal static Task AssertEveryPlayerGetsTheClipAsync(List<(FlashNetConnection Nc, FlashNetStream Ns)> players, List<(FlvTagType Type, uint Timestamp, byte[] Data)> expected)
    {
        int videoCount = expected.Count(t => t.Type == FlvTagType.Video), audioCount = expected.Count(t => t.Type == FlvTagType.Audio);
        return Task.WhenAll(players.Select(async p =>
        {
            var received = await FlashClientTests.Collect(p.Ns, r => r.Video.Count >= videoCount && r.Audio.Count >= audioCount, Patience);
            Assert.Contains(received.Data, d => d.Handler == DataMessage.OnMetaData);
            AssertSameTags(expected, FlvTagType.Video, received.Video);
            AssertSameTags(expected, FlvTagType.Audio, received.Audio);
        }));
    }

    internal static async Task DisposeAllAsync(List<(FlashNetConnection Nc, FlashNetStream Ns)> players)
    {
        foreach (var (nc, _) in players)
        {
            await nc.DisposeAsync();
        }
    }

    /// <summary>Each tag of <paramref name="type"/> in the clip arrived, in order, with its timestamp and bytes.</summary>
    internal static void AssertSameTags(List<(FlvTagType Type, uint Timestamp, byte[] Data)> expected, FlvTagType type, List<FlashMessage> received)
    {
        var sent = expected.Where(t => t.Type == type).ToList();
        Assert.Equal(sent.Count, received.Count);
        for (int i = 0; i < sent.Count; i++)
        {
            Assert.Equal(sent[i].Timestamp, received[i].Timestamp);
            Assert.True(sent[i].Data.AsSpan().SequenceEqual(received[i].Payload.Span), $"{type} tag {i} differs");
        }
    }

    /// <summary>ffprobe sees the same streams and, within 150 ms, the same duration.</summary>
    internal static async Task AssertSameShapeAsync(string source, string recording, CancellationToken ct)
    {
        var (sourceStreams, sourceDuration) = await Ffmpeg.ProbeAsync(source, ct);
        var (recordedStreams, recordedDuration) = await Ffmpeg.ProbeAsync(recording, ct);
        Assert.Equal(sourceStreams.Order(), recordedStreams.Order());
        Assert.InRange(recordedDuration, sourceDuration - 0.15, sourceDuration + 0.15);
    }
}
