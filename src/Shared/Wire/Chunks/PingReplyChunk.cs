namespace Rtmfp.Shared.Wire;

/// <summary>Ping Reply chunk 0x41 (RFC 7016 §2.3.10): the message of the Ping it answers, unaltered.</summary>
public readonly ref struct PingReplyChunk
{
    public PingReplyChunk(ReadOnlySpan<byte> messageEcho) => MessageEcho = messageEcho;

    public ReadOnlySpan<byte> MessageEcho { get; }

    public int PayloadLength => MessageEcho.Length;
    public int Length => PacketLimits.ChunkHeaderLength + PayloadLength;

    /// <summary>Always succeeds: any payload is a valid echo.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out PingReplyChunk chunk)
    {
        chunk = new PingReplyChunk(payload);
        return true;
    }

    public static void Write(ref WireWriter writer, scoped PingReplyChunk chunk)
    {
        ChunkWriter.WriteHeader(ref writer, ChunkType.PingReply, chunk.PayloadLength);
        writer.WriteBytes(chunk.MessageEcho);
    }
}
