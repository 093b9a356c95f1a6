namespace Rtmfp.Shared.Wire;

/// <summary>
/// The fields both data acknowledgement chunks start with (RFC 7016 §2.3.13, §2.3.14): flowID,
/// bufferBlocksAvailable, cumulativeAck, each a VLU. The two chunks differ only in how ranges above follow.
/// </summary>
internal static class DataAckHeader
{
    public static bool TryRead(ref WireReader reader, out ulong flowId, out ulong bufferBlocksAvailable, out ulong cumulativeAck)
    {
        bufferBlocksAvailable = 0;
        cumulativeAck = 0;
        return reader.TryReadVlu(out flowId) && reader.TryReadVlu(out bufferBlocksAvailable) && reader.TryReadVlu(out cumulativeAck);
    }

    public static int GetLength(ulong flowId, ulong bufferBlocksAvailable, ulong cumulativeAck)
        => Vlu.GetLength(flowId) + Vlu.GetLength(bufferBlocksAvailable) + Vlu.GetLength(cumulativeAck);

    public static void Write(ref WireWriter writer, ulong flowId, ulong bufferBlocksAvailable, ulong cumulativeAck)
    {
        writer.WriteVlu(flowId);
        writer.WriteVlu(bufferBlocksAvailable);
        writer.WriteVlu(cumulativeAck);
    }

    /// <summary>Copies up to destination.Length ranges and returns how many.</summary>
    public static int CopyRanges<TRanges>(TRanges ranges, Span<SequenceRange> destination)
        where TRanges : IAckRangeEnumerator, allows ref struct
    {
        int n = 0;
        while (n < destination.Length && ranges.MoveNext())
        {
            destination[n++] = ranges.Current;
        }
        return n;
    }
}

/// <summary>Ranges decoded from an acknowledgement chunk, ascending.</summary>
internal interface IAckRangeEnumerator
{
    bool MoveNext();

    SequenceRange Current { get; }
}
