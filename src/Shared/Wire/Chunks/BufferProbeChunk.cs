namespace Rtmfp.Shared.Wire;

/// <summary>Buffer Probe chunk 0x18 (RFC 7016 §2.3.15): flowID VLU; the receiver answers with an acknowledgement.</summary>
public readonly struct BufferProbeChunk
{
    public BufferProbeChunk(ulong flowId) => FlowId = flowId;

    public ulong FlowId { get; }

    public int PayloadLength => Vlu.GetLength(FlowId);
    public int Length => PacketLimits.ChunkHeaderLength + PayloadLength;

    /// <summary>Trailing bytes after the flow ID are ignored.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out BufferProbeChunk chunk)
    {
        if (!Vlu.TryRead(payload, out ulong flowId, out _))
        {
            chunk = default;
            return false;
        }
        chunk = new BufferProbeChunk(flowId);
        return true;
    }

    public static void Write(ref WireWriter writer, in BufferProbeChunk chunk)
    {
        ChunkWriter.WriteHeader(ref writer, ChunkType.BufferProbe, chunk.PayloadLength);
        writer.WriteVlu(chunk.FlowId);
    }
}
