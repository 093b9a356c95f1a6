namespace Rtmfp.Shared.Wire;

/// <summary>Session Close Acknowledgement chunk 0x4C (RFC 7016 §2.3.18): no payload, encoded <c>4C 00 00</c>.</summary>
public readonly struct SessionCloseAcknowledgementChunk
{
    public const int Length = PacketLimits.ChunkHeaderLength;

    /// <summary>Any payload is accepted and ignored (the chunk carries no fields).</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out SessionCloseAcknowledgementChunk chunk)
    {
        chunk = default;
        return true;
    }

    public static void Write(ref WireWriter writer) => ChunkWriter.WriteHeader(ref writer, ChunkType.SessionCloseAcknowledgement, 0);
}
