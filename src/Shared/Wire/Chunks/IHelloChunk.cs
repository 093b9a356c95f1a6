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

    public int PayloadLength => Vlu.GetPrefixedLength(EndpointDiscriminator.Length) + Tag.Length;
    public int Length => PacketLimits.ChunkHeaderLength + PayloadLength;

    public static bool TryRead(ReadOnlySpan<byte> payload, out IHelloChunk chunk)
    {
        chunk = default;
        var r = new WireReader(payload);
        if (!r.TryReadVluPrefixedBytes(out var epd))
        {
            return false;
        }
        chunk = new IHelloChunk(epd, r.ReadRemaining());
        return true;
    }

    public static void Write(ref WireWriter writer, scoped IHelloChunk chunk)
    {
        ChunkWriter.WriteHeader(ref writer, ChunkType.IHello, chunk.PayloadLength);
        writer.WriteVluPrefixedBytes(chunk.EndpointDiscriminator);
        writer.WriteBytes(chunk.Tag);
    }
}
