using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Tests.Wire;

/// <summary>Encoding received sequence-number sets as acks and decoding them back (seeded random sets).</summary>
public class AckEncoderTests
{
    /// <summary>A random received set: cumulative ack plus ascending, gapped ranges above it.</summary>
    private static (ulong CumAck, SequenceRange[] Ranges, HashSet<ulong> Above) RandomState(Random rng)
    {
        ulong cum = (ulong)rng.Next(0, 100_000);
        var ranges = new List<SequenceRange>();
        var above = new HashSet<ulong>();
        ulong cursor = cum;
        int count = rng.Next(0, 12);
        bool sparse = rng.Next(2) == 0;
        for (int i = 0; i < count; i++)
        {
            ulong start = cursor + 2 + (ulong)rng.Next(0, sparse ? 500 : 4);
            ulong end = start + (ulong)rng.Next(0, sparse ? 50 : 6);
            ranges.Add(new SequenceRange(start, end));
            for (ulong s = start; s <= end; s++)
            {
                above.Add(s);
            }
            cursor = end;
        }
        return (cum, ranges.ToArray(), above);
    }

    private static HashSet<ulong> Expand(IEnumerable<SequenceRange> ranges)
    {
        var set = new HashSet<ulong>();
        foreach (var r in ranges)
        {
            for (ulong s = r.Start; s <= r.End; s++)
            {
                set.Add(s);
            }
        }
        return set;
    }

    [Fact]
    public void Both_encodings_round_trip_and_the_most_compact_is_chosen()
    {
        var rng = new Random(20130101);
        int bitmapsChosen = 0, rangesChosen = 0;
        for (int iteration = 0; iteration < 300; iteration++)
        {
            var (cum, ranges, above) = RandomState(rng);
            ulong flow = (ulong)rng.Next(1, 1000), blocks = (ulong)rng.Next(0, 70000);

            var rangeBytes = ChunkSamples.Build((ref WireWriter w) => DataAckRangesChunk.Write(ref w, flow, blocks, cum, ranges));
            Assert.True(DataAckRangesChunk.TryRead(rangeBytes.AsSpan(3), out var ra));
            Assert.Equal((flow, blocks, cum), (ra.FlowId, ra.BufferBlocksAvailable, ra.CumulativeAck));
            var decodedRanges = new SequenceRange[ranges.Length + 1];
            Assert.Equal(ranges.Length, ra.CopyRanges(decodedRanges));
            Assert.Equal(ranges, decodedRanges[..ranges.Length]);

            var bitmapBytes = ChunkSamples.Build((ref WireWriter w) => DataAckBitmapChunk.Write(ref w, flow, blocks, cum, ranges));
            Assert.True(DataAckBitmapChunk.TryRead(bitmapBytes.AsSpan(3), out var bm));
            var fromBitmap = new List<SequenceRange>();
            foreach (var r in bm.GetRanges())
            {
                fromBitmap.Add(r);
            }
            Assert.Equal(ranges, fromBitmap);
            Assert.Equal(above, Expand(fromBitmap));

            var best = ChunkSamples.Build((ref WireWriter w) => AckEncoder.WriteMostCompact(ref w, flow, blocks, cum, ranges));
            Assert.Equal(Math.Min(rangeBytes.Length, bitmapBytes.Length), best.Length);
            Assert.Equal(best.Length, AckEncoder.GetMostCompactLength(flow, blocks, cum, ranges, out var type));
            Assert.Equal((byte)type, best[0]);
            if (type == ChunkType.DataAcknowledgementBitmap)
            {
                bitmapsChosen++;
            }
            else
            {
                rangesChosen++;
            }
        }
        Assert.True(bitmapsChosen > 10 && rangesChosen > 10, $"{bitmapsChosen} / {rangesChosen}");
    }

    [Fact]
    public void FitRanges_truncates_to_a_byte_budget()
    {
        SequenceRange[] ranges = [new(10, 10), new(20, 25), new(1000, 1001), new(100_000, 100_000)];
        int full = 3 + DataAckRangesChunk.GetPayloadLength(1, 64, 5, ranges);
        Assert.Equal(4, AckEncoder.FitRanges(1, 64, 5, ranges, full));
        Assert.Equal(3, AckEncoder.FitRanges(1, 64, 5, ranges, full - 1));
        Assert.Equal(0, AckEncoder.FitRanges(1, 64, 5, ranges, 6));
        Assert.Equal(-1, AckEncoder.FitRanges(1, 64, 5, ranges, 5));
        for (int budget = 6; budget <= full; budget++)
        {
            int n = AckEncoder.FitRanges(1, 64, 5, ranges, budget);
            var bytes = ChunkSamples.Build((ref WireWriter w) => DataAckRangesChunk.Write(ref w, 1, 64, 5, ranges.AsSpan(0, n)));
            Assert.True(bytes.Length <= budget);
        }
    }

    [Theory]
    [InlineData(5UL, 6UL, 6UL)]   // adjacent to the cumulative ack: cumAck should have been 6
    [InlineData(5UL, 5UL, 9UL)]   // overlaps the cumulative ack
    [InlineData(5UL, 9UL, 8UL)]   // end before start
    public void Invalid_range_sets_are_caller_bugs(ulong cum, ulong start, ulong end)
    {
        SequenceRange[] ranges = [new(start, end)];
        Assert.Throws<ArgumentException>(() => DataAckRangesChunk.GetPayloadLength(1, 1, cum, ranges));
        Assert.Throws<ArgumentException>(() => DataAckBitmapChunk.GetPayloadLength(1, 1, cum, ranges));
        SequenceRange[] touching = [new(10, 12), new(13, 14)];
        Assert.Throws<ArgumentException>(() => DataAckRangesChunk.GetPayloadLength(1, 1, 0, touching));
        SequenceRange[] unsorted = [new(20, 22), new(10, 12)];
        Assert.Throws<ArgumentException>(() => DataAckBitmapChunk.GetBitmapLength(0, unsorted));
    }

    [Fact]
    public void Huge_gaps_make_bitmaps_unwritable_but_ranges_compact()
    {
        SequenceRange[] ranges = [new(10_000_000, 10_000_000)];
        Assert.True(DataAckBitmapChunk.GetPayloadLength(1, 1, 0, ranges) > ushort.MaxValue);
        AckEncoder.GetMostCompactLength(1, 1, 0, ranges, out var type);
        Assert.Equal(ChunkType.DataAcknowledgementRanges, type);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            var w = new WireWriter(new byte[70_000]);
            DataAckBitmapChunk.Write(ref w, 1, 1, 0, ranges);
        });
    }
}
