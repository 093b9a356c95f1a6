namespace Rtmfp.Shared.Wire;

/// <summary>Session Close Request chunk 0x0C (RFC 7016 §2.3.17): no payload, encoded <c>0C 00 00</c>.</summary>
public readonly struct SessionCloseRequestChunk
{
    public const int Length = PacketLimits.ChunkHeaderLength;

    /// <summary>Any payload is accepted and ignored (the chunk carries no fields).</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out SessionCloseRequestChunk chunk)
    {
        chunk = default;
        return true;
    }

    public static void Write(ref WireWriter writer) => ChunkWriter.WriteHeader(ref writer, ChunkType.SessionCloseRequest, 0);
}
