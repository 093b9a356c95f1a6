namespace Rtmfp.Shared.Wire;

/// <summary>One chunk of a plain packet: its type and a view of its payload (RFC 7016 §2.3).</summary>
public readonly ref struct Chunk
{
    public Chunk(ChunkType type, ReadOnlySpan<byte> payload, int offset)
    {
        Type = type;
        Payload = payload;
        Offset = offset;
    }

    public ChunkType Type { get; }
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>Offset of the chunk header within the span the <see cref="ChunkReader"/> iterates.</summary>
    public int Offset { get; }
}
