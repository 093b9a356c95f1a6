using System.Buffers;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Rtmp;

namespace Rtmfp.Shared.Tests.Rtmp;

public sealed class RtmpChunkTests
{
    private static List<RtmpInboundMessage> ReadAll(RtmpChunkReader reader, byte[] bytes, out RtmpReadStatus last, int step = int.MaxValue)
    {
        // Feeds the bytes in pieces of `step`, as a socket would, keeping what was not consumed.
        var messages = new List<RtmpInboundMessage>();
        var pending = new List<byte>();
        last = RtmpReadStatus.NeedMore;
        for (int i = 0; i < bytes.Length; i += step)
        {
            pending.AddRange(bytes.AsSpan(i, Math.Min(step, bytes.Length - i)).ToArray());
            while (true)
            {
                last = reader.TryRead(new ReadOnlySequence<byte>(pending.ToArray()), out int consumed, out var message);
                if (last is RtmpReadStatus.NeedMore or RtmpReadStatus.Error)
                {
                    break;
                }
                pending.RemoveRange(0, consumed);
                if (last == RtmpReadStatus.Message)
                {
                    messages.Add(message);
                }
            }
            if (last == RtmpReadStatus.Error)
            {
                break;
            }
        }
        return messages;
    }

    [Fact]
    public void A_connect_of_200_bytes_in_two_chunks_of_128_is_reassembled()
    {
        // Type 0 header on chunk stream 3: timestamp 0, length 200, type 20, stream 0; then a type 3 header (0xC3).
        var payload = Enumerable.Range(0, 200).Select(i => (byte)i).ToArray();
        byte[] bytes = [0x03, 0, 0, 0, 0, 0, 200, 20, 0, 0, 0, 0, .. payload[..128], 0xC3, .. payload[128..]];
        var messages = ReadAll(new RtmpChunkReader(), bytes, out _, step: 7);
        var m = Assert.Single(messages);
        Assert.Equal((3, 0u, RtmpMessageType.CommandAmf0, 0u), (m.ChunkStreamId, m.StreamId, m.Type, m.Timestamp));
        Assert.Equal(payload, m.Payload.ToArray());
        // The buffer is laid out as an RTMFP flow message (RFC 7425 §5.1.2): type, timestamp, payload.
        Assert.Equal([20, 0, 0, 0, 0], m.Message[..5].ToArray());
    }

    [Fact]
    public void Type_1_2_and_3_headers_add_their_deltas()
    {
        byte[] bytes =
        [
            0x06, 0, 0, 10, 0, 0, 2, 9, 1, 0, 0, 0, 0xAA, 0xBB,   // type 0: ts 10, len 2, video, stream 1 (little endian)
            0x46, 0, 0, 33, 0, 0, 1, 8, 0xCC,                      // type 1: +33, len 1, audio
            0x86, 0, 0, 40, 0xDD,                                  // type 2: +40, same length and type
            0xC6, 0xEE,                                            // type 3 starting a message: +40 again
        ];
        var messages = ReadAll(new RtmpChunkReader(), bytes, out _);
        Assert.Equal([10u, 43u, 83u, 123u], messages.Select(m => m.Timestamp));
        Assert.Equal([RtmpMessageType.Video, RtmpMessageType.Audio, RtmpMessageType.Audio, RtmpMessageType.Audio], messages.Select(m => m.Type));
        Assert.All(messages, m => Assert.Equal(1u, m.StreamId));
        Assert.Equal([0xEE], messages[3].Payload.ToArray());
    }

    [Fact]
    public void Extended_timestamps_are_read_on_the_first_chunk_and_on_its_type_3_continuations()
    {
        var payload = new byte[130];
        byte[] bytes =
        [
            0x04, 0xFF, 0xFF, 0xFF, 0, 0, 130, 9, 1, 0, 0, 0, 0x01, 0x00, 0x00, 0x00, .. payload[..128],
            0xC4, 0x01, 0x00, 0x00, 0x00, .. payload[128..],
        ];
        var m = Assert.Single(ReadAll(new RtmpChunkReader(), bytes, out _, step: 50));
        Assert.Equal(0x01000000u, m.Timestamp);
        Assert.Equal(130, m.Payload.Length);
    }

    [Fact]
    public void Two_and_three_byte_basic_headers_name_chunk_streams_64_and_above()
    {
        byte[] bytes =
        [
            0x00, 0x00, 0, 0, 1, 0, 0, 1, 8, 0, 0, 0, 0, 0x11,              // csid 64
            0x01, 0x10, 0x02, 0, 0, 2, 0, 0, 1, 8, 0, 0, 0, 0, 0x22,        // csid 64 + 0x10 + 0x02 * 256 = 592
        ];
        var messages = ReadAll(new RtmpChunkReader(), bytes, out _);
        Assert.Equal([64, 592], messages.Select(m => m.ChunkStreamId));
    }

    [Fact]
    public void Set_chunk_size_applies_to_the_next_chunks_and_abort_drops_a_partial_message()
    {
        var big = new byte[300];
        byte[] bytes =
        [
            0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0, 0x10, 0x00,                  // Set Chunk Size 4096
            0x05, 0, 0, 0, 0, 0x03, 0xE8, 9, 1, 0, 0, 0, .. new byte[300],             // 1000-byte video, first 300
            0x02, 0, 0, 0, 0, 0, 4, 2, 0, 0, 0, 0, 0, 0, 0, 5,                         // Abort chunk stream 5
            0x05, 0, 0, 0, 0, 0, 1, 8, 1, 0, 0, 0, 0x77,                               // a new message on 5
        ];
        // The 1000-byte message needs 1000 bytes in one 4096-byte chunk: the reader waits for it, so cut it short.
        var reader = new RtmpChunkReader();
        var first = ReadAll(reader, bytes[..16], out _);
        Assert.Equal(4096, reader.ChunkSize);
        Assert.Equal(RtmpReadStatus.NeedMore, reader.TryRead(new ReadOnlySequence<byte>(bytes[16..(16 + 12 + 300)]), out _, out _));
        first.ForEach(m => m.Release());

        // With a 128-byte chunk size the same message is partial after its first chunk, and Abort drops it.
        var small = new RtmpChunkReader();
        byte[] partial = [0x05, 0, 0, 0, 0, 0x03, 0xE8, 9, 1, 0, 0, 0, .. big[..128]];
        byte[] rest = [.. bytes[(16 + 12 + 300)..]];
        var messages = ReadAll(small, [.. partial, .. rest], out _);
        Assert.Equal(0, small.BufferedBytes);
        Assert.Equal([RtmpMessageType.Abort, RtmpMessageType.Audio], messages.Select(m => m.Type));
        Assert.Equal([0x77], messages[1].Payload.ToArray());
    }

    [Theory]
    [InlineData(new byte[] { 0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0 }, RtmpChunkError.BadChunkSize)]             // size 0
    [InlineData(new byte[] { 0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 2, 0, 1 }, RtmpChunkError.BadChunkSize)]             // above 64 KiB
    [InlineData(new byte[] { 0x02, 0, 0, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0 }, RtmpChunkError.BadControlMessage)]                  // short payload
    [InlineData(new byte[] { 0x03, 0, 0, 0, 0x50, 0, 0, 9, 1, 0, 0, 0 }, RtmpChunkError.MessageTooLong)]                     // 5 MiB
    [InlineData(new byte[] { 0x43, 0, 0, 0, 0, 0, 1, 9 }, RtmpChunkError.NoPreviousHeader)]                                 // type 1 first
    public void Bad_input_is_a_clear_error(byte[] bytes, RtmpChunkError expected)
    {
        var reader = new RtmpChunkReader();
        ReadAll(reader, bytes, out var last);
        Assert.Equal(RtmpReadStatus.Error, last);
        Assert.Equal(expected, reader.Error);
        Assert.Equal(RtmpReadStatus.Error, reader.TryRead(new ReadOnlySequence<byte>(bytes), out _, out _));
    }

    [Fact]
    public void Chunk_streams_and_buffered_bytes_are_bounded()
    {
        var limits = new RtmpChunkReaderLimits { MaxChunkStreams = 4, MaxBufferedBytes = 64 * 1024 };
        var streams = new List<byte>();
        for (int csid = 3; csid < 8; csid++)
        {
            streams.AddRange([(byte)csid, 0, 0, 0, 0, 0, 1, 8, 1, 0, 0, 0, 0]);
        }
        var reader = new RtmpChunkReader(limits);
        ReadAll(reader, [.. streams], out var last);
        Assert.Equal(RtmpChunkError.TooManyChunkStreams, reader.Error);

        // Partial 1 MB messages on three chunk streams: more than 64 KiB held is refused, not allocated.
        var partials = new List<byte>();
        for (int csid = 3; csid < 6; csid++)
        {
            partials.AddRange([(byte)csid, 0, 0, 0, 0x10, 0, 0, 9, 1, 0, 0, 0, .. new byte[128]]);
            for (int i = 0; i < 200; i++)
            {
                partials.AddRange([(byte)(0xC0 | csid), .. new byte[128]]);
            }
        }
        var bounded = new RtmpChunkReader(limits);
        ReadAll(bounded, [.. partials], out last);
        Assert.Equal(RtmpChunkError.TooMuchBuffered, bounded.Error);
        Assert.True(bounded.BufferedBytes <= limits.MaxBufferedBytes);
    }

    [Fact]
    public void The_writer_emits_the_expected_bytes_for_a_type_0_then_type_2_header()
    {
        var writer = new RtmpChunkWriter();
        var output = new ArrayBufferWriter<byte>();
        writer.Write(output, 6, 1, RtmpMessageType.Video, 10, [0xAA, 0xBB]);
        writer.Write(output, 6, 1, RtmpMessageType.Video, 50, [0xCC, 0xDD]);
        writer.Write(output, 6, 1, RtmpMessageType.Audio, 60, [0xEE]);
        byte[] expected =
        [
            0x06, 0, 0, 10, 0, 0, 2, 9, 1, 0, 0, 0, 0xAA, 0xBB,
            0x86, 0, 0, 40, 0xCC, 0xDD,
            0x46, 0, 0, 10, 0, 0, 1, 8, 0xEE,
        ];
        Assert.Equal(expected, output.WrittenSpan.ToArray());
    }

    [Theory]
    [InlineData(128, 0u)]
    [InlineData(4096, 0x00FFFFF0u)]
    [InlineData(60, 0xFFFFFFF0u)]
    public void What_the_writer_writes_the_reader_reads_back_through_any_split(int chunkSize, uint firstTimestamp)
    {
        var writer = new RtmpChunkWriter { ChunkSize = chunkSize };
        var output = new ArrayBufferWriter<byte>();
        var setChunkSize = new byte[4];
        RtmpControl.WriteValue(setChunkSize, (uint)chunkSize);
        new RtmpChunkWriter().Write(output, 2, 0, RtmpMessageType.SetChunkSize, 0, setChunkSize);
        var random = new Random(chunkSize);
        var sent = new List<(RtmpMessageType Type, uint Ts, byte[] Payload)>();
        uint ts = firstTimestamp;
        for (int i = 0; i < 40; i++)
        {
            var payload = new byte[random.Next(0, 700)];
            random.NextBytes(payload);
            var type = i % 3 == 0 ? RtmpMessageType.Video : RtmpMessageType.Audio;
            ts += (uint)random.Next(0, 40);
            writer.Write(output, type == RtmpMessageType.Video ? 6 : 4, 1, type, ts, payload);
            sent.Add((type, ts, payload));
        }
        var messages = ReadAll(new RtmpChunkReader(), output.WrittenSpan.ToArray(), out _, step: 97);
        Assert.Equal(RtmpMessageType.SetChunkSize, messages[0].Type);
        var media = messages.Skip(1).ToList();
        Assert.Equal(sent.Count, media.Count);
        for (int i = 0; i < sent.Count; i++)
        {
            Assert.Equal(sent[i].Type, media[i].Type);
            Assert.Equal(sent[i].Ts, media[i].Timestamp);
            Assert.Equal(sent[i].Payload, media[i].Payload.ToArray());
        }
    }

    [Fact]
    public void Control_payloads_round_trip()
    {
        var b = new byte[5];
        RtmpControl.WritePeerBandwidth(b, 2_500_000, PeerBandwidthLimit.Dynamic);
        Assert.Equal([0x00, 0x26, 0x25, 0xA0, 0x02], b);
        Assert.True(RtmpControl.TryReadPeerBandwidth(b, out uint window, out var limit));
        Assert.Equal((2_500_000u, PeerBandwidthLimit.Dynamic), (window, limit));
        b[4] = 3;
        Assert.False(RtmpControl.TryReadPeerBandwidth(b, out _, out _));
        Assert.False(RtmpControl.TryReadValue([1, 2, 3], out _));
    }
}
