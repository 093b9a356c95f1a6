using System.Buffers;
using Rtmfp.Client.Flash;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Client.Tests.Flash;

public class FlvTests
{
    private static readonly AmfObject Metadata = new() { ["width"] = 640.0, ["height"] = 360.0, ["videocodecid"] = 7.0, ["encoder"] = "test" };

    /// <summary>metadata, AVC and AAC sequence headers, frames; timestamps up to past 2^24 ms (the extended byte).</summary>
    private static (byte[] File, List<(FlvTagType Type, uint Timestamp, byte[] Data)> Tags) SampleFile()
    {
        var tags = new List<(FlvTagType, uint, byte[])>();
        var stream = new MemoryStream();
        using (var writer = new FlvWriter(stream, leaveOpen: true))
        {
            writer.WriteData(new DataMessage(DataMessage.SetDataFrame, DataMessage.OnMetaData, Metadata));
            var script = new ArrayBufferWriter<byte>();
            new DataMessage(DataMessage.OnMetaData, Metadata).WritePayload(script, new Amf0Writer());
            tags.Add((FlvTagType.ScriptData, 0, script.WrittenSpan.ToArray()));
            void Add(FlvTagType type, uint timestamp, byte[] data)
            {
                writer.WriteTag(type, timestamp, data);
                tags.Add((type, timestamp, data));
            }
            Add(FlvTagType.Video, 0, SyntheticMedia.AvcSequenceHeader());
            Add(FlvTagType.Audio, 0, SyntheticMedia.AacSequenceHeader());
            Add(FlvTagType.Video, 40, SyntheticMedia.VideoFrame(true, 1, 2, 5000));
            Add(FlvTagType.Audio, 23, SyntheticMedia.AudioFrame(1, 2, 200));
            Add(FlvTagType.Video, 0x00FFFFFF, SyntheticMedia.VideoFrame(false, 2, 3, 100));
            Add(FlvTagType.Audio, 0x01000000, SyntheticMedia.AudioFrame(2, 3, 50));
            Add(FlvTagType.Video, 0xDEADBEEF, SyntheticMedia.VideoFrame(false, 3, 4, 0));
            Add(FlvTagType.Audio, uint.MaxValue, []);
        }
        return (stream.ToArray(), tags);
    }

    private static List<FlvTag> ReadAll(byte[] file, out FlvReadStatus end, int maxTagSize = FlvReader.DefaultMaxTagSize)
    {
        using var reader = new FlvReader(new MemoryStream(file), maxTagSize);
        var tags = new List<FlvTag>();
        while ((end = reader.TryReadTag(out var tag)) == FlvReadStatus.Tag)
        {
            tags.Add(new FlvTag(tag.Type, tag.Timestamp, tag.Data.ToArray()));
        }
        Assert.Equal(end, reader.TryReadTag(out _)); // failures stick
        return tags;
    }

    [Fact]
    public void Written_tags_read_back_with_types_timestamps_and_bytes()
    {
        var (file, expected) = SampleFile();
        var tags = ReadAll(file, out var end);
        Assert.Equal(FlvReadStatus.EndOfFile, end);
        Assert.Equal(expected.Count, tags.Count);
        for (int i = 0; i < tags.Count; i++)
        {
            Assert.Equal(expected[i].Type, tags[i].Type);
            Assert.Equal(expected[i].Timestamp, tags[i].Timestamp);
            Assert.Equal(expected[i].Data, tags[i].Data.ToArray());
        }
        // The script tag holds onMetaData (the @setDataFrame prefix is not stored) and the metadata.
        var values = new List<AmfValue>();
        Assert.True(new AmfReader().TryReadAllAmf0(tags[0].Data.Span, values));
        Assert.Equal(DataMessage.OnMetaData, values[0].AsString);
        Assert.Equal(640.0, values[1].GetProperty("width")?.AsNumber);
        Assert.Equal("test", values[1].GetProperty("encoder")?.AsString);
    }

    [Fact]
    public void Header_and_one_tag_are_byte_exact()
    {
        var stream = new MemoryStream();
        using (var writer = new FlvWriter(stream, hasAudio: true, hasVideo: false, leaveOpen: true))
        {
            writer.WriteTag(FlvTagType.Audio, 0x12345678, [0xAF, 0x01, 0x02]);
        }
        byte[] expected =
        [
            (byte)'F', (byte)'L', (byte)'V', 0x01, 0x04, 0x00, 0x00, 0x00, 0x09, // header: audio only, DataOffset 9
            0x00, 0x00, 0x00, 0x00, // PreviousTagSize0
            0x08, 0x00, 0x00, 0x03, 0x34, 0x56, 0x78, 0x12, 0x00, 0x00, 0x00, // audio, 3 bytes, ts low 24 bits then the extended byte, stream 0
            0xAF, 0x01, 0x02,
            0x00, 0x00, 0x00, 0x0E, // PreviousTagSize = 11 + 3
        ];
        Assert.Equal(expected, stream.ToArray());

        using var reader = new FlvReader(new MemoryStream(expected));
        Assert.True(reader.TryReadHeader(out var header));
        Assert.True(header.HasAudio);
        Assert.False(header.HasVideo);
        Assert.Equal(FlvReadStatus.Tag, reader.TryReadTag(out var tag));
        Assert.Equal((FlvTagType.Audio, 0x12345678u), (tag.Type, tag.Timestamp));
        Assert.Equal(FlvReadStatus.EndOfFile, reader.TryReadTag(out _));
    }

    [Fact]
    public void A_larger_data_offset_is_skipped_and_bad_headers_are_refused()
    {
        byte[] file =
        [
            (byte)'F', (byte)'L', (byte)'V', 0x01, 0x05, 0x00, 0x00, 0x00, 0x0C, 0xEE, 0xEE, 0xEE, // DataOffset 12: 3 bytes more
            0x00, 0x00, 0x00, 0x00,
            0x09, 0x00, 0x00, 0x01, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00, 0x00, 0x0C,
        ];
        var tags = ReadAll(file, out var end);
        Assert.Equal(FlvReadStatus.EndOfFile, end);
        Assert.Equal((FlvTagType.Video, 40u, (byte)0x17), (tags.Single().Type, tags[0].Timestamp, tags[0].Data.Span[0]));

        byte[] Mutated(int index, byte value)
        {
            var copy = (byte[])file.Clone();
            copy[index] = value;
            return copy;
        }
        ReadAll(Mutated(0, (byte)'G'), out end);
        Assert.Equal(FlvReadStatus.BadHeader, end);
        ReadAll(Mutated(3, 2), out end); // version 2
        Assert.Equal(FlvReadStatus.BadHeader, end);
        ReadAll(Mutated(8, 8), out end); // DataOffset below 9
        Assert.Equal(FlvReadStatus.BadHeader, end);
        ReadAll(Mutated(7, 0x10), out end); // DataOffset 4108: over the limit
        Assert.Equal(FlvReadStatus.BadHeader, end);
        ReadAll("<html>"u8.ToArray(), out end);
        Assert.Equal(FlvReadStatus.BadHeader, end);
        ReadAll([], out end);
        Assert.Equal(FlvReadStatus.BadHeader, end);
        ReadAll(Mutated(16, 0x29), out end); // Filter bit: encrypted
        Assert.Equal(FlvReadStatus.BadTag, end);
        ReadAll(Mutated(16, 0x49), out end); // reserved bit
        Assert.Equal(FlvReadStatus.BadTag, end);
    }

    [Fact]
    public void Every_truncation_is_reported_after_the_whole_tags_before_it()
    {
        var (file, expected) = SampleFile();
        var boundaries = new Dictionary<int, int> { [13] = 0 }; // end offset of the body after n tags
        int offset = 13;
        for (int i = 0; i < expected.Count; i++)
        {
            offset += FlvReader.TagHeaderLength + expected[i].Data.Length + 4;
            boundaries[offset] = i + 1;
        }
        Assert.Equal(file.Length, offset);
        int whole = 0;
        for (int length = 0; length <= file.Length; length++)
        {
            var tags = ReadAll(file[..length], out var end);
            if (boundaries.TryGetValue(length, out int count))
            {
                whole = count;
                Assert.Equal(FlvReadStatus.EndOfFile, end);
            }
            else
            {
                Assert.Equal(length == 0 ? FlvReadStatus.BadHeader : FlvReadStatus.Truncated, end); // empty: not FLV at all
            }
            Assert.Equal(whole, tags.Count);
        }
    }

    [Fact]
    public void Oversized_tags_are_refused_before_reading_them()
    {
        var stream = new MemoryStream();
        using (var writer = new FlvWriter(stream, leaveOpen: true))
        {
            writer.WriteTag(FlvTagType.Video, 0, new byte[2000]);
        }
        ReadAll(stream.ToArray(), out var end, maxTagSize: 1999);
        Assert.Equal(FlvReadStatus.TagTooLarge, end);
        ReadAll(stream.ToArray(), out end, maxTagSize: 2000);
        Assert.Equal(FlvReadStatus.EndOfFile, end);

        // A header claiming 16 MB - 1 over the 1 MB limit: refused without waiting for the data.
        byte[] file = [.. stream.ToArray()[..13], 0x09, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0];
        ReadAll(file, out end, maxTagSize: 1 << 20);
        Assert.Equal(FlvReadStatus.TagTooLarge, end);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FlvWriter(new MemoryStream()).WriteTag(FlvTagType.Video, 0, new byte[FlvWriter.MaxTagSize + 1]));
    }

    [Fact]
    public void Random_mutations_give_typed_results_and_never_throw()
    {
        var (file, _) = SampleFile();
        var random = new Random(7425);
        var seen = new HashSet<FlvReadStatus>();
        for (int i = 0; i < 3000; i++)
        {
            var bytes = (byte[])file.Clone();
            switch (random.Next(4))
            {
                case 0: // flip a few bytes
                    for (int j = random.Next(1, 6); j > 0; j--)
                    {
                        bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                    }
                    break;
                case 1: // cut
                    bytes = bytes[..random.Next(bytes.Length)];
                    break;
                case 2: // garbage after the header
                    random.NextBytes(bytes.AsSpan(13));
                    break;
                default: // a corrupted tag header (type, size, timestamp)
                    random.NextBytes(bytes.AsSpan(13 + random.Next(FlvReader.TagHeaderLength), 3));
                    break;
            }
            var tags = ReadAll(bytes, out var end, maxTagSize: 1 << 16);
            Assert.True(Enum.IsDefined(end) && end != FlvReadStatus.Tag);
            Assert.True(tags.Count <= bytes.Length / FlvReader.TagHeaderLength);
            seen.Add(end);
        }
        Assert.Superset(new HashSet<FlvReadStatus> { FlvReadStatus.EndOfFile, FlvReadStatus.Truncated, FlvReadStatus.BadHeader, FlvReadStatus.TagTooLarge, FlvReadStatus.BadTag }, seen);
        Assert.Equal(5, seen.Count);
    }

    [Fact]
    public void Received_messages_are_recorded_as_a_player_gets_them()
    {
        var stream = new MemoryStream();
        using (var writer = new FlvWriter(stream, leaveOpen: true))
        {
            var script = new ArrayBufferWriter<byte>();
            new DataMessage(DataMessage.OnMetaData, Metadata).WritePayload(script, new Amf0Writer());
            var amf = new AmfReader();
            FlashMessage Data(DataMessage message)
            {
                var payload = new ArrayBufferWriter<byte>();
                message.WritePayload(payload, new Amf0Writer());
                Assert.True(DataMessage.TryRead(RtmpMessageType.DataAmf0, payload.WrittenSpan, amf, out var decoded));
                return new FlashMessage(1, RtmpMessageType.DataAmf0, 0, payload.WrittenSpan.ToArray(), 0, null, decoded);
            }
            Assert.False(writer.Write(Data(DataMessage.SampleAccess())));
            Assert.True(writer.Write(Data(new DataMessage(DataMessage.OnMetaData, Metadata))));
            Assert.True(writer.Write(Data(new DataMessage(DataMessage.SetDataFrame, DataMessage.OnMetaData, Metadata))));
            Assert.True(writer.Write(new FlashMessage(1, RtmpMessageType.Video, 0x01000001, new byte[] { 0x17, 1, 2 }, 0, null, null)));
            Assert.True(writer.Write(new FlashMessage(1, RtmpMessageType.Audio, 7, new byte[] { 0xAF, 1 }, 0, null, null)));
            Assert.False(writer.Write(new FlashMessage(1, RtmpMessageType.CommandAmf0, 0, NetStatus.OnStatus(StatusLevel.Status, StatusCode.PlayStart, "x").ToMessage().AsMemory(5), 0,
                NetStatus.OnStatus(StatusLevel.Status, StatusCode.PlayStart, "x"), null)));
            Assert.Equal((2L, 1L, 1L), (writer.ScriptTags, writer.VideoTags, writer.AudioTags));

            var tags = ReadAll(stream.ToArray(), out var end);
            Assert.Equal(FlvReadStatus.EndOfFile, end);
            Assert.Equal([FlvTagType.ScriptData, FlvTagType.ScriptData, FlvTagType.Video, FlvTagType.Audio], tags.Select(t => t.Type));
            Assert.Equal(script.WrittenSpan.ToArray(), tags[0].Data.ToArray());
            Assert.Equal(script.WrittenSpan.ToArray(), tags[1].Data.ToArray()); // @setDataFrame unwrapped
            Assert.Equal(0x01000001u, tags[2].Timestamp);
            Assert.Equal([0x17, 1, 2], tags[2].Data.ToArray());
            Assert.Equal(7u, tags[3].Timestamp);
            Assert.Equal([0xAF, 1], tags[3].Data.ToArray());
        }
    }

    private static FlashMessage Media(RtmpMessageType type, uint timestamp) => new(1, type, timestamp, new byte[] { (byte)timestamp }, 0, null, null);

    private static FlashMessage MetadataMessage()
    {
        var payload = new ArrayBufferWriter<byte>();
        new DataMessage(DataMessage.OnMetaData, Metadata).WritePayload(payload, new Amf0Writer());
        Assert.True(DataMessage.TryRead(RtmpMessageType.DataAmf0, payload.WrittenSpan, new AmfReader(), out var decoded));
        return new FlashMessage(1, RtmpMessageType.DataAmf0, 0, payload.WrittenSpan.ToArray(), 0, null, decoded);
    }

    [Fact]
    public void The_recorder_puts_late_metadata_before_the_media_that_overtook_it()
    {
        var stream = new MemoryStream();
        using (var recorder = new FlvRecorder(new FlvWriter(stream, leaveOpen: true)))
        {
            Assert.True(recorder.Write(Media(RtmpMessageType.Audio, 1)));
            Assert.True(recorder.Write(Media(RtmpMessageType.Video, 2)));
            Assert.Equal(0, recorder.Writer.AudioTags + recorder.Writer.VideoTags); // held
            Assert.True(recorder.Write(MetadataMessage()));
            Assert.True(recorder.Write(Media(RtmpMessageType.Audio, 3)));
        }
        var tags = ReadAll(stream.ToArray(), out _);
        Assert.Equal([FlvTagType.ScriptData, FlvTagType.Audio, FlvTagType.Video, FlvTagType.Audio], tags.Select(t => t.Type));
        Assert.Equal([0u, 1, 2, 3], tags.Select(t => t.Timestamp));
    }

    [Fact]
    public void Without_metadata_the_recorder_writes_media_once_its_hold_is_full_or_at_the_end()
    {
        var stream = new MemoryStream();
        using (var recorder = new FlvRecorder(new FlvWriter(stream, leaveOpen: true), holdLimit: 3))
        {
            recorder.Write(Media(RtmpMessageType.Video, 1));
            recorder.Write(Media(RtmpMessageType.Video, 2));
            Assert.Equal(0, recorder.Writer.VideoTags);
            recorder.Write(Media(RtmpMessageType.Audio, 3));
            Assert.Equal((2L, 1L), (recorder.Writer.VideoTags, recorder.Writer.AudioTags));
            recorder.Write(MetadataMessage()); // late: written where it comes
            recorder.Write(Media(RtmpMessageType.Audio, 4));
        }
        var tags = ReadAll(stream.ToArray(), out _);
        Assert.Equal([FlvTagType.Video, FlvTagType.Video, FlvTagType.Audio, FlvTagType.ScriptData, FlvTagType.Audio], tags.Select(t => t.Type));

        var empty = new MemoryStream();
        using (var recorder = new FlvRecorder(new FlvWriter(empty, leaveOpen: true)))
        {
            recorder.Write(Media(RtmpMessageType.Audio, 9));
        }
        Assert.Equal(9u, Assert.Single(ReadAll(empty.ToArray(), out _)).Timestamp); // written at the end
    }

    private sealed class RecordingTarget : IFlvTarget
    {
        public List<(string Kind, uint Timestamp, byte[] Data, long At)> Sent { get; } = [];
        public List<DataMessage> Data { get; } = [];
        private readonly long _start = System.Diagnostics.Stopwatch.GetTimestamp();

        public void SendData(DataMessage message) => Data.Add(message);
        public void SendAudio(uint timestamp, ReadOnlySpan<byte> tag) => Sent.Add(("audio", timestamp, tag.ToArray(), Now()));
        public void SendVideo(uint timestamp, ReadOnlySpan<byte> tag) => Sent.Add(("video", timestamp, tag.ToArray(), Now()));
        private long Now() => (long)System.Diagnostics.Stopwatch.GetElapsedTime(_start).TotalMilliseconds;
    }

    private static byte[] PacedFile()
    {
        var stream = new MemoryStream();
        using var writer = new FlvWriter(stream, leaveOpen: true);
        writer.WriteData(new DataMessage(DataMessage.OnMetaData, Metadata));
        for (uint t = 1000; t <= 1200; t += 40)
        {
            writer.WriteTag(FlvTagType.Video, t, SyntheticMedia.VideoFrame(t == 1000, t, 0, 30));
            writer.WriteTag(FlvTagType.Audio, t + 10, SyntheticMedia.AudioFrame(t, 0, 20));
        }
        return stream.ToArray();
    }

    [Fact(Timeout = 60_000)]
    public async Task Playout_sends_tags_in_real_time_with_their_timestamps()
    {
        var target = new RecordingTarget();
        using var reader = new FlvReader(new MemoryStream(PacedFile()));
        var playout = new FlvPlayout(reader, target);
        Assert.Equal(FlvReadStatus.EndOfFile, await playout.RunAsync(TestContext.Current.CancellationToken));
        Assert.Equal(DataMessage.OnMetaData, Assert.Single(target.Data).Handler);
        Assert.Equal((6L, 6L, 1L), (playout.VideoTags, playout.AudioTags, playout.DataTags));
        Assert.Equal([1000u, 1010, 1040, 1050, 1080, 1090, 1120, 1130, 1160, 1170, 1200, 1210], target.Sent.Select(s => s.Timestamp));
        // Metadata at 0 goes at once; media is paced from the first media tag (1000 ms): the last one (1210) ~210 ms later.
        Assert.InRange(target.Sent[^1].At - target.Sent[0].At, 195, 2000);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_looping_playout_keeps_timestamps_increasing_and_sends_metadata_once()
    {
        var target = new RecordingTarget();
        using var reader = new FlvReader(new MemoryStream(PacedFile()));
        var playout = new FlvPlayout(reader, target) { Loop = true };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var run = playout.RunAsync(cts.Token);
        while (playout.Passes < 3 && !run.IsCompleted)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Single(target.Data);
        var video = target.Sent.Where(s => s.Kind == "video").Select(s => s.Timestamp).ToArray();
        Assert.True(video.Length >= 12, $"{video.Length} video tags");
        // The next pass starts one frame interval (40) after the highest timestamp sent (audio 1210): video 1250.
        uint[] expected = [1000, 1040, 1080, 1120, 1160, 1200, 1250, 1290, 1330, 1370, 1410, 1450];
        Assert.Equal(expected, video[..12]);
    }
}
