using System.Buffers.Binary;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Tests.Wire;

/// <summary>
/// Peer input never throws: every reader is fed each valid sample truncated at every length, with bytes
/// mutated, and inside packets whose chunk lengths lie. Results must be rejections or consistent values.
/// </summary>
public class MalformedInputTests
{
    public static TheoryData<int> SampleIndexes()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < ChunkSamples.All().Count(); i++)
        {
            data.Add(i);
        }
        return data;
    }

    private static (ChunkType Type, byte[] Payload, int MinPayload) Sample(int index)
    {
        var (type, chunk, min) = ChunkSamples.All().ElementAt(index);
        return (type, chunk[3..], min);
    }

    [Theory]
    [MemberData(nameof(SampleIndexes))]
    public void Every_truncation_is_rejected_or_parses_to_a_prefix_of_the_input(int index)
    {
        var (type, payload, minPayload) = Sample(index);
        for (int cut = 0; cut <= payload.Length; cut++)
        {
            var slice = payload[..cut];
            var result = ChunkSamples.Reencode(type, slice);
            if (cut < minPayload)
            {
                Assert.Null(result);
            }
            if (result is not null)
            {
                // Whatever was understood is exactly what was there: no field overran the container.
                Assert.True(slice.AsSpan().StartsWith(result), $"{type} cut at {cut}");
            }
        }
        Assert.Equal(payload, ChunkSamples.Reencode(type, payload));
    }

    [Theory]
    [MemberData(nameof(SampleIndexes))]
    public void Mutated_bytes_never_throw_and_never_read_past_the_payload(int index)
    {
        var (type, payload, _) = Sample(index);
        var rng = new Random(index * 7919 + 1);
        byte[] values = [0x00, 0x01, 0x7F, 0x80, 0x81, 0xFF];
        for (int pos = 0; pos < payload.Length; pos++)
        {
            foreach (byte v in values.Append((byte)rng.Next(256)).Append((byte)(payload[pos] ^ 0x80)))
            {
                var mutated = (byte[])payload.Clone();
                mutated[pos] = v;
                var result = ChunkSamples.Reencode(type, mutated);
                if (result is not null)
                {
                    Assert.True(result.Length <= mutated.Length, $"{type} pos {pos} value {v:x2}");
                }
            }
        }
        // And random garbage of every small length.
        for (int len = 0; len < 64; len++)
        {
            var junk = new byte[len];
            rng.NextBytes(junk);
            var result = ChunkSamples.Reencode(type, junk);
            if (result is not null)
            {
                Assert.True(result.Length <= junk.Length);
            }
        }
    }

    [Fact]
    public void Lying_chunk_lengths_stop_iteration_or_resize_chunks_without_throwing()
    {
        // A session packet with several chunks; each chunk length field is rewritten to many values.
        var samples = ChunkSamples.All().Where(s => !ChunkTypes.IsStartup(s.Type)).Select(s => s.Chunk).Take(8).ToArray();
        var body = samples.SelectMany(c => c).ToArray();
        var packet = new byte[] { 0x89, 0x00, 0x01 }.Concat(body).Concat(new byte[] { 0xFF, 0xFF, 0xFF }).ToArray();
        var offsets = new List<int>();
        int at = 3;
        foreach (var c in samples)
        {
            offsets.Add(at);
            at += c.Length;
        }
        var rng = new Random(42);
        for (int k = 0; k < offsets.Count; k++)
        {
            int offset = offsets[k];
            int remaining = packet.Length - offset - 3;
            int real = BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(offset + 1));
            foreach (int lie in new[] { 0, 1, real - 1, real + 1, remaining, remaining + 1, 0xFFFF, rng.Next(0, 0x10000) })
            {
                if (lie < 0 || lie > 0xFFFF)
                {
                    continue;
                }
                var copy = (byte[])packet.Clone();
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(offset + 1), (ushort)lie);
                Assert.True(PlainPacket.TryRead(copy, out _, out var chunks));
                int yielded = 0, lastEnd = 0;
                while (chunks.MoveNext())
                {
                    var chunk = chunks.Current;
                    Assert.True(chunk.Offset >= lastEnd);
                    lastEnd = chunk.Offset + 3 + chunk.Payload.Length;
                    Assert.True(lastEnd <= copy.Length - 3);
                    if (ChunkTypes.IsKnown(chunk.Type))
                    {
                        ChunkSamples.Reencode(chunk.Type, chunk.Payload); // must not throw
                    }
                    yielded++;
                }
                if (lie > remaining)
                {
                    // The padding rule: a chunk that cannot fit ends the packet right there.
                    Assert.Equal(k, yielded);
                    Assert.Equal(offset - 3, chunks.Position);
                }
            }
        }
    }

    [Fact]
    public void Ack_decoders_stop_at_64_bit_overflow()
    {
        // cumAck = 2^64 - 2: the first range would start at 2^64.
        var huge = ChunkSamples.Build((ref WireWriter w) =>
        {
            w.WriteVlu(1);
            w.WriteVlu(1);
            w.WriteVlu(ulong.MaxValue - 1);
            w.WriteVlu(0);
            w.WriteVlu(0);
        });
        Assert.True(DataAckRangesChunk.TryRead(huge, out var ranges));
        Assert.False(ranges.GetRanges().MoveNext());
        // A bitmap whose bits would pass 2^64 is rejected outright.
        var bitmap = ChunkSamples.Build((ref WireWriter w) =>
        {
            w.WriteVlu(1);
            w.WriteVlu(1);
            w.WriteVlu(ulong.MaxValue - 8);
            w.WriteByte(0xFF);
        });
        Assert.False(DataAckBitmapChunk.TryRead(bitmap, out _));
        Assert.True(DataAckBitmapChunk.TryRead(bitmap.AsSpan(0, bitmap.Length - 1), out _));
        // receivedMinusOne overflowing.
        var big = ChunkSamples.Build((ref WireWriter w) =>
        {
            w.WriteVlu(1);
            w.WriteVlu(1);
            w.WriteVlu(0);
            w.WriteVlu(0);
            w.WriteVlu(ulong.MaxValue);
        });
        Assert.True(DataAckRangesChunk.TryRead(big, out var bigRanges));
        Assert.False(bigRanges.GetRanges().MoveNext());
    }
}
