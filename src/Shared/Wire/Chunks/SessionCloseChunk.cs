namespace Rtmfp.Shared.Wire;

/// <summary>
/// Session Close Request chunk 0x0C (RFC 7016 §2.3.17) and Session Close Acknowledgement chunk 0x4C (§2.3.18): no
/// payload, encoded <c>0C 00 00</c> and <c>4C 00 00</c>. They differ only in their type byte, so one codec serves both.
/// </summary>
public static class SessionCloseChunk
{
    public const int Length = PacketLimits.ChunkHeaderLength;

    /// <summary>Any payload is accepted and ignored (the chunks carry no fields).</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload) => true;

    public static void WriteRequest(ref WireWriter writer) => ChunkWriter.WriteHeader(ref writer, ChunkType.SessionCloseRequest, 0);

    public static void WriteAcknowledgement(ref WireWriter writer) =>
        ChunkWriter.WriteHeader(ref writer, ChunkType.SessionCloseAcknowledgement, 0);
}
