namespace Rtmfp.Shared.Wire;

/// <summary>Ping chunk 0x01 (RFC 7016 §2.3.9): the whole payload is the message to echo.</summary>
public readonly ref struct PingChunk
{
    public PingChunk(ReadOnlySpan<byte> message) => Message = message;

    public ReadOnlySpan<byte> Message { get; }

    public int PayloadLength => Message.Length;
    public int Length => PacketLimits.ChunkHeaderLength + PayloadLength;

    /// <summary>Always succeeds: any payload, including empty, is a valid message.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out PingChunk chunk)
    {
        chunk = new PingChunk(payload);
        return true;
    }

    public static void Write(ref WireWriter writer, scoped PingChunk chunk)
    {
        ChunkWriter.WriteHeader(ref writer, ChunkType.Ping, chunk.PayloadLength);
        writer.WriteBytes(chunk.Message);
    }
}
