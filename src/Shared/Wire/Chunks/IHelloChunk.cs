namespace Rtmfp.Shared.Wire;

/// <summary>Initiator Hello chunk 0x30 (RFC 7016 §2.3.2): epdLength VLU, endpointDiscriminator, tag.</summary>
public readonly ref struct IHelloChunk
{
    public IHelloChunk(ReadOnlySpan<byte> endpointDiscriminator, ReadOnlySpan<byte> tag)
    {
        EndpointDiscriminator = endpointDiscriminator;
        Tag = tag;
    }

    public ReadOnlySpan<byte> EndpointDiscriminator { get; }
    public ReadOnlySpan<byte> Tag { get; }

    public int PayloadLength => PrefixedThenRest.GetPayloadLength(EndpointDiscriminator.Length, Tag.Length);
    public int Length => PacketLimits.ChunkHeaderLength + PayloadLength;

    public static bool TryRead(ReadOnlySpan<byte> payload, out IHelloChunk chunk)
    {
        bool ok = PrefixedThenRest.TryRead(payload, out var endpointDiscriminator, out var tag);
        chunk = new IHelloChunk(endpointDiscriminator, tag);
        return ok;
    }

    public static void Write(ref WireWriter writer, scoped IHelloChunk chunk) =>
        PrefixedThenRest.Write(ref writer, ChunkType.IHello, chunk.EndpointDiscriminator, chunk.Tag);
}
