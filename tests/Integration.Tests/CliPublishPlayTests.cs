using Rtmfp.Client.Flash;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Integration.Tests;

/// <summary>
/// What <c>rtmfp publish</c> and <c>rtmfp play --output</c> do, through the library classes they run on (FlvReader,
/// FlvPlayout, FlvTargets, FlvWriter): an FLV file published in real time through the node comes out of a player's
/// recording with the same metadata, payloads and timestamps.
/// </summary>
public class CliPublishPlayTests(SharedNode shared) : IClassFixture<SharedNode>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rtmfp-flv-").FullName;

    private string Url => $"rtmfp://{shared.Node.Endpoint}/live";

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>3 s: onMetaData, AVC and AAC sequence headers, 25 fps video with a keyframe a second, AAC every 23 ms.</summary>
    private static List<(FlvTagType Type, uint Timestamp, byte[] Data)> WriteSyntheticFile(string path)
    {
        var random = new Random(7016);
        var tags = new List<(FlvTagType, uint, byte[])>();
        using var writer = FlvWriter.Create(path);
        writer.WriteData(new DataMessage(DataMessage.OnMetaData, new AmfObject
        {
            ["duration"] = 3.0, ["width"] = 320.0, ["height"] = 240.0, ["framerate"] = 25.0, ["videocodecid"] = 7.0, ["audiocodecid"] = 10.0,
        }));
        void Add(FlvTagType type, uint timestamp, byte[] data)
        {
            writer.WriteTag(type, timestamp, data);
            tags.Add((type, timestamp, data));
        }
        Add(FlvTagType.Video, 0, SyntheticMedia.AvcSequenceHeader());
        Add(FlvTagType.Audio, 0, SyntheticMedia.AacSequenceHeader());
        int video = 0, audio = 0;
        while (video < 75 || audio < 130)
        {
            if (audio >= 130 || (video < 75 && video * 40 <= audio * 23))
            {
                bool key = video % 25 == 0;
                var frame = SyntheticMedia.VideoFrame(key, (uint)video, 0, key ? 12_000 : random.Next(500, 3000));
                random.NextBytes(frame.AsSpan(5 + SyntheticMedia.StampLength));
                Add(FlvTagType.Video, (uint)(video++ * 40), frame);
            }
            else
            {
                var frame = SyntheticMedia.AudioFrame((uint)audio, 0, random.Next(100, 400));
                random.NextBytes(frame.AsSpan(2 + SyntheticMedia.StampLength));
                Add(FlvTagType.Audio, (uint)(audio++ * 23), frame);
            }
        }
        return tags;
    }

    [Fact]
    public async Task A_published_flv_file_is_recorded_by_a_player_with_the_same_payloads_and_timestamps()
    {
        var ct = TestContext.Current.CancellationToken;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        string input = Path.Combine(_directory, "clip.flv"), output = Path.Combine(_directory, "out.flv");
        var expected = WriteSyntheticFile(input);

        // play --output: statuses and media into an FLV file until Play.UnpublishNotify.
        await using var player = await FlashNetConnection.ConnectAsync(Url, cancellationToken: timeout.Token);
        // What connect prints: the _result info's code and objectEncoding.
        Assert.True(NetStatus.TryReadInfo(player.ConnectInfo, out _, out var connectCode, out _));
        Assert.Equal(StatusCode.ConnectSuccess, connectCode);
        Assert.Equal(3.0, player.ConnectInfo?.GetProperty("objectEncoding")?.AsNumber);
        var playStream = await player.CreateStreamAsync(timeout.Token);
        await playStream.PlayAsync("clip", timeout.Token);
        var statuses = new List<string>();
        var recording = Task.Run(async () =>
        {
            using var recorder = FlvRecorder.Create(output);
            await foreach (var message in playStream.Messages.ReadAllAsync(timeout.Token))
            {
                recorder.Write(message);
                if (message.StatusCode is { } code)
                {
                    statuses.Add(code);
                    if (code is StatusCode.PlayUnpublishNotify or StatusCode.PlayStop)
                    {
                        return;
                    }
                }
            }
        }, timeout.Token);

        // publish: the file in real time, then unpublish.
        await using (var publisher = await FlashNetConnection.ConnectAsync(Url, cancellationToken: timeout.Token))
        {
            var stream = await publisher.CreateStreamAsync(timeout.Token);
            await stream.PublishAsync("clip", cancellationToken: timeout.Token);
            using var reader = FlvReader.Open(input);
            var playout = new FlvPlayout(reader, FlvTargets.For(stream));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Assert.Equal(FlvReadStatus.EndOfFile, await playout.RunAsync(timeout.Token));
            Assert.InRange(clock.Elapsed.TotalMilliseconds, 2900, 8000); // real time: the last tag is stamped 2990 ms
            // With the sequence headers.
            Assert.Equal((76L, 131L, 1L), (playout.VideoTags, playout.AudioTags, playout.DataTags));
            await Task.Delay(300, timeout.Token); // what publish does: let the last media land before the unpublish overtakes it
            stream.Close();
            await recording.WaitAsync(timeout.Token);
            await publisher.CloseAsync(timeout.Token);
        }

        Assert.Equal([StatusCode.PlayReset, StatusCode.PlayStart], statuses.Take(2));
        Assert.Equal(StatusCode.PlayUnpublishNotify, statuses[^1]);
        var recorded = new List<FlvTag>();
        using (var reader = FlvReader.Open(output))
        {
            FlvReadStatus status;
            while ((status = reader.TryReadTag(out var tag)) == FlvReadStatus.Tag)
            {
                recorded.Add(new FlvTag(tag.Type, tag.Timestamp, tag.Data.ToArray()));
            }
            Assert.Equal(FlvReadStatus.EndOfFile, status);
        }
        // onMetaData first, as the publisher gave it.
        Assert.Equal(FlvTagType.ScriptData, recorded[0].Type);
        var values = new List<AmfValue>();
        Assert.True(new AmfReader().TryReadAllAmf0(recorded[0].Data.Span, values));
        Assert.Equal(DataMessage.OnMetaData, values[0].AsString);
        Assert.Equal(320.0, values[1].GetProperty("width")?.AsNumber);
        Assert.Equal(3.0, values[1].GetProperty("duration")?.AsNumber);
        // Audio and video travel on flows of their own: each in order, with identical bytes and timestamps.
        foreach (var type in new[] { FlvTagType.Audio, FlvTagType.Video })
        {
            var sent = expected.Where(t => t.Type == type).ToList();
            var got = recorded.Where(t => t.Type == type).ToList();
            Assert.Equal(sent.Count, got.Count);
            for (int i = 0; i < sent.Count; i++)
            {
                Assert.Equal(sent[i].Timestamp, got[i].Timestamp);
                Assert.True(sent[i].Data.AsSpan().SequenceEqual(got[i].Data.Span), $"{type} tag {i} differs");
            }
        }
    }
}
