namespace Rtmfp.Shared.Wire;

/// <summary>
/// Data Acknowledgement Bitmap chunk 0x50 (RFC 7016 §2.3.13): flowID, bufferBlocksAvailable, cumulativeAck, then a
/// bit field where bit b (LSB first) of byte i acknowledges cumulativeAck + 2 + 8i + b (cumulativeAck + 1 is
/// necessarily missing).
/// </summary>
public readonly ref struct DataAckBitmapChunk
{
    private DataAckBitmapChunk(ulong flowId, ulong bufferBlocksAvailable, ulong cumulativeAck, ReadOnlySpan<byte> bitmap)
    {
        FlowId = flowId;
        BufferBlocksAvailable = bufferBlocksAvailable;
        CumulativeAck = cumulativeAck;
        Bitmap = bitmap;
    }

    public ulong FlowId { get; }

    /// <summary>Receive window in 1024-byte blocks.</summary>
    public ulong BufferBlocksAvailable { get; }

    /// <summary>Every sequence number ≤ this value is acknowledged.</summary>
    public ulong CumulativeAck { get; }

    public ReadOnlySpan<byte> Bitmap { get; }

    /// <summary>Acknowledged ranges above <see cref="CumulativeAck"/>, ascending.</summary>
    public AckBitmapReader GetRanges() => new(CumulativeAck, Bitmap);

    /// <summary>Copies up to destination.Length ranges (above the cumulative ack) and returns how many.</summary>
    public int CopyRanges(Span<SequenceRange> destination) => DataAckHeader.CopyRanges(GetRanges(), destination);

    /// <summary>Rejects truncated VLUs and a bit field whose sequence numbers would exceed 64 bits.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out DataAckBitmapChunk chunk)
    {
        chunk = default;
        var r = new WireReader(payload);
        if (!DataAckHeader.TryRead(ref r, out ulong flowId, out ulong blocks, out ulong cumAck))
        {
            return false;
        }
        ulong span = 1 + 8 * (ulong)r.Remaining; // highest index: cumAck + 1 + 8 * bytes
        if (cumAck > ulong.MaxValue - span)
        {
            return false;
        }
        chunk = new DataAckBitmapChunk(flowId, blocks, cumAck, r.ReadRemaining());
        return true;
    }

    /// <summary>Bytes of bit field needed for the ranges (validated like <see cref="Write"/>); saturates at int.MaxValue.</summary>
    public static int GetBitmapLength(ulong cumulativeAck, ReadOnlySpan<SequenceRange> ranges)
    {
        ulong cursor = cumulativeAck;
        foreach (var range in ranges)
        {
            AckEncoder.CheckRange(cursor, range);
            cursor = range.End;
        }
        if (ranges.IsEmpty)
        {
            return 0;
        }
        ulong lastIndex = ranges[^1].End - cumulativeAck - 2;
        ulong bytes = lastIndex / 8 + 1;
        return bytes > int.MaxValue ? int.MaxValue : (int)bytes;
    }

    /// <summary>Payload size for the given ranges; saturates at int.MaxValue when the bit field would be huge.</summary>
    public static int GetPayloadLength(ulong flowId, ulong bufferBlocksAvailable, ulong cumulativeAck, ReadOnlySpan<SequenceRange> ranges)
    {
        long n = (long)DataAckHeader.GetLength(flowId, bufferBlocksAvailable, cumulativeAck)
            + GetBitmapLength(cumulativeAck, ranges);
        return n > int.MaxValue ? int.MaxValue : (int)n;
    }

    /// <summary>
    /// Writes a whole chunk. <paramref name="ranges"/> must be ascending, with gaps between them and after the
    /// cumulative ack (Start ≥ previous End + 2); violations and a payload over 65535 bytes throw.
    /// </summary>
    public static void Write(ref WireWriter writer, ulong flowId, ulong bufferBlocksAvailable, ulong cumulativeAck,
        scoped ReadOnlySpan<SequenceRange> ranges)
    {
        int bitmapLength = GetBitmapLength(cumulativeAck, ranges);
        ChunkWriter.WriteHeader(ref writer, ChunkType.DataAcknowledgementBitmap,
            GetPayloadLength(flowId, bufferBlocksAvailable, cumulativeAck, ranges));
        DataAckHeader.Write(ref writer, flowId, bufferBlocksAvailable, cumulativeAck);
        var bitmap = writer.Reserve(bitmapLength);
        bitmap.Clear();
        ulong first = cumulativeAck + 2;
        foreach (var range in ranges)
        {
            for (ulong seq = range.Start; ; seq++)
            {
                int bit = (int)(seq - first);
                bitmap[bit >> 3] |= (byte)(1 << (bit & 7));
                if (seq == range.End)
                {
                    break;
                }
            }
        }
    }
}
