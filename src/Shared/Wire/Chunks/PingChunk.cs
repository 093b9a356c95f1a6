namespace Rtmfp.Shared.Wire;

/// <summary>
/// Ping chunk 0x01 (RFC 7016 §2.3.9) and Ping Reply chunk 0x41 (§2.3.10): the whole payload is the message, and a
/// reply carries the message of the Ping it answers, unaltered. The two differ only in their type byte, so one codec
/// serves both (<see cref="Write"/>, <see cref="WriteReply"/>).
/// </summary>
public readonly ref struct PingChunk
{
    public PingChunk(ReadOnlySpan<byte> message) => Message = message;

    /// <summary>The message (Ping) or the message echoed (Ping Reply).</summary>
    public ReadOnlySpan<byte> Message { get; }

    public int PayloadLength => Message.Length;
    public int Length => PacketLimits.ChunkHeaderLength + PayloadLength;

    /// <summary>Always succeeds: any payload, including empty, is a valid message or echo.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out PingChunk chunk)
    {
        chunk = new PingChunk(payload);
        return true;
    }

    /// <summary>Writes a Ping (0x01).</summary>
    public static void Write(ref WireWriter writer, scoped PingChunk chunk) => Write(ref writer, ChunkType.Ping, chunk);

    /// <summary>Writes a Ping Reply (0x41) echoing <paramref name="chunk"/>'s message.</summary>
    public static void WriteReply(ref WireWriter writer, scoped PingChunk chunk) => Write(ref writer, ChunkType.PingReply, chunk);

    private static void Write(ref WireWriter writer, ChunkType type, scoped PingChunk chunk)
    {
        ChunkWriter.WriteHeader(ref writer, type, chunk.PayloadLength);
        writer.WriteBytes(chunk.Message);
    }
}
