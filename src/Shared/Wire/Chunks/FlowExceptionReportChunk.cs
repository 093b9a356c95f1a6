namespace Rtmfp.Shared.Wire;

/// <summary>Flow Exception Report chunk 0x5E (RFC 7016 §2.3.16): flowID VLU, exception VLU (0 for automatic rejection).</summary>
public readonly struct FlowExceptionReportChunk
{
    public FlowExceptionReportChunk(ulong flowId, ulong exception)
    {
        FlowId = flowId;
        Exception = exception;
    }

    public ulong FlowId { get; }
    public ulong Exception { get; }

    public int PayloadLength => Vlu.GetLength(FlowId) + Vlu.GetLength(Exception);
    public int Length => PacketLimits.ChunkHeaderLength + PayloadLength;

    /// <summary>Trailing bytes after the exception code are ignored.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out FlowExceptionReportChunk chunk)
    {
        chunk = default;
        var r = new WireReader(payload);
        if (!r.TryReadVlu(out ulong flowId) || !r.TryReadVlu(out ulong exception))
        {
            return false;
        }
        chunk = new FlowExceptionReportChunk(flowId, exception);
        return true;
    }

    public static void Write(ref WireWriter writer, in FlowExceptionReportChunk chunk)
    {
        ChunkWriter.WriteHeader(ref writer, ChunkType.FlowExceptionReport, chunk.PayloadLength);
        writer.WriteVlu(chunk.FlowId);
        writer.WriteVlu(chunk.Exception);
    }
}
