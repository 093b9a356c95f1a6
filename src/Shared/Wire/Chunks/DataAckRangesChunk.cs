namespace Rtmfp.Shared.Wire;

/// <summary>
/// Data Acknowledgement Ranges chunk 0x51 (RFC 7016 §2.3.14): flowID, bufferBlocksAvailable, cumulativeAck, then
/// (holesMinusOne, receivedMinusOne) VLU pairs. Everything up to cumulativeAck is acknowledged; the pairs add ranges above.
/// </summary>
public readonly ref struct DataAckRangesChunk
{
    private DataAckRangesChunk(ulong flowId, ulong bufferBlocksAvailable, ulong cumulativeAck, ReadOnlySpan<byte> encodedRanges)
    {
        FlowId = flowId;
        BufferBlocksAvailable = bufferBlocksAvailable;
        CumulativeAck = cumulativeAck;
        EncodedRanges = encodedRanges;
    }

    public ulong FlowId { get; }

    /// <summary>Receive window in 1024-byte blocks.</summary>
    public ulong BufferBlocksAvailable { get; }

    /// <summary>Every sequence number ≤ this value is acknowledged.</summary>
    public ulong CumulativeAck { get; }

    /// <summary>The raw run-length pairs; decode with <see cref="GetRanges"/>.</summary>
    public ReadOnlySpan<byte> EncodedRanges { get; }

    /// <summary>Acknowledged ranges above <see cref="CumulativeAck"/>, ascending.</summary>
    public AckRangeReader GetRanges() => new(CumulativeAck, EncodedRanges);

    /// <summary>Copies up to destination.Length ranges (above the cumulative ack) and returns how many.</summary>
    public int CopyRanges(Span<SequenceRange> destination) => DataAckHeader.CopyRanges(GetRanges(), destination);

    /// <summary>Needs the three VLUs; the range list is decoded lazily (a truncated last pair is not an error).</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out DataAckRangesChunk chunk)
    {
        chunk = default;
        var r = new WireReader(payload);
        if (!DataAckHeader.TryRead(ref r, out ulong flowId, out ulong blocks, out ulong cumAck))
        {
            return false;
        }
        chunk = new DataAckRangesChunk(flowId, blocks, cumAck, r.ReadRemaining());
        return true;
    }

    /// <summary>Payload size for the given ranges (validated like <see cref="Write"/>).</summary>
    public static int GetPayloadLength(ulong flowId, ulong bufferBlocksAvailable, ulong cumulativeAck, ReadOnlySpan<SequenceRange> ranges)
    {
        int n = DataAckHeader.GetLength(flowId, bufferBlocksAvailable, cumulativeAck);
        ulong cursor = cumulativeAck;
        foreach (var range in ranges)
        {
            AckEncoder.CheckRange(cursor, range);
            n += Vlu.GetLength(range.Start - cursor - 2) + Vlu.GetLength(range.End - range.Start);
            cursor = range.End;
        }
        return n;
    }

    /// <summary>
    /// Writes a whole chunk. <paramref name="ranges"/> must be ascending, with gaps between them and after the
    /// cumulative ack (Start ≥ previous End + 2); violations are caller bugs and throw.
    /// </summary>
    public static void Write(ref WireWriter writer, ulong flowId, ulong bufferBlocksAvailable, ulong cumulativeAck,
        scoped ReadOnlySpan<SequenceRange> ranges)
    {
        ChunkWriter.WriteHeader(ref writer, ChunkType.DataAcknowledgementRanges,
            GetPayloadLength(flowId, bufferBlocksAvailable, cumulativeAck, ranges));
        DataAckHeader.Write(ref writer, flowId, bufferBlocksAvailable, cumulativeAck);
        ulong cursor = cumulativeAck;
        foreach (var range in ranges)
        {
            writer.WriteVlu(range.Start - cursor - 2);
            writer.WriteVlu(range.End - range.Start);
            cursor = range.End;
        }
    }
}
