namespace Rtmfp.Shared.Wire;

/// <summary>
/// Encodes the received state of a flow (cumulative ack + ascending, separated ranges above it) as the more
/// compact of a Bitmap Ack or a Range Ack (RFC 7016 §2.3.13–§2.3.14: SHOULD choose the most compact).
/// </summary>
public static class AckEncoder
{
    /// <summary>Chunk length (header included) of the more compact encoding, and which one it is (Range Ack on ties).</summary>
    public static int GetMostCompactLength(ulong flowId, ulong bufferBlocksAvailable, ulong cumulativeAck,
        ReadOnlySpan<SequenceRange> ranges, out ChunkType type)
    {
        int rangesLength = DataAckRangesChunk.GetPayloadLength(flowId, bufferBlocksAvailable, cumulativeAck, ranges);
        int bitmapLength = DataAckBitmapChunk.GetPayloadLength(flowId, bufferBlocksAvailable, cumulativeAck, ranges);
        if (bitmapLength < rangesLength)
        {
            type = ChunkType.DataAcknowledgementBitmap;
            return PacketLimits.ChunkHeaderLength + bitmapLength;
        }
        type = ChunkType.DataAcknowledgementRanges;
        return PacketLimits.ChunkHeaderLength + rangesLength;
    }

    /// <summary>Writes the more compact acknowledgement chunk and returns its type.</summary>
    public static ChunkType WriteMostCompact(ref WireWriter writer, ulong flowId, ulong bufferBlocksAvailable,
        ulong cumulativeAck, scoped ReadOnlySpan<SequenceRange> ranges)
    {
        GetMostCompactLength(flowId, bufferBlocksAvailable, cumulativeAck, ranges, out var type);
        if (type == ChunkType.DataAcknowledgementBitmap)
        {
            DataAckBitmapChunk.Write(ref writer, flowId, bufferBlocksAvailable, cumulativeAck, ranges);
        }
        else
        {
            DataAckRangesChunk.Write(ref writer, flowId, bufferBlocksAvailable, cumulativeAck, ranges);
        }
        return type;
    }

    /// <summary>
    /// How many leading ranges fit in a Range Ack of at most <paramref name="maxChunkLength"/> bytes (header
    /// included); -1 if not even the chunk without ranges fits. Dropping trailing ranges is safe: the sender
    /// just sees them as not yet received.
    /// </summary>
    public static int FitRanges(ulong flowId, ulong bufferBlocksAvailable, ulong cumulativeAck,
        ReadOnlySpan<SequenceRange> ranges, int maxChunkLength)
    {
        int length = PacketLimits.ChunkHeaderLength + Vlu.GetLength(flowId) + Vlu.GetLength(bufferBlocksAvailable)
            + Vlu.GetLength(cumulativeAck);
        if (length > maxChunkLength)
        {
            return -1;
        }
        ulong cursor = cumulativeAck;
        for (int i = 0; i < ranges.Length; i++)
        {
            var range = ranges[i];
            CheckRange(cursor, range);
            length += Vlu.GetLength(range.Start - cursor - 2) + Vlu.GetLength(range.End - range.Start);
            if (length > maxChunkLength || length - PacketLimits.ChunkHeaderLength > PacketLimits.MaxChunkPayloadLength)
            {
                return i;
            }
            cursor = range.End;
        }
        return ranges.Length;
    }

    /// <summary>A range must start at least 2 above the cursor (a hole between) and not end before it starts.</summary>
    internal static void CheckRange(ulong cursor, SequenceRange range)
    {
        if (range.End < range.Start || range.Start <= cursor || range.Start - cursor < 2)
        {
            throw new ArgumentException($"ack ranges must be ascending with gaps; got {range} after {cursor}");
        }
    }
}
