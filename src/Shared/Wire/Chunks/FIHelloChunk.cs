namespace Rtmfp.Shared.Wire;

/// <summary>Forwarded Initiator Hello chunk 0x0F (RFC 7016 §2.3.3): EPD and tag copied from an IHello plus the initiator's reply address.</summary>
public readonly ref struct FIHelloChunk
{
    public FIHelloChunk(ReadOnlySpan<byte> endpointDiscriminator, Address replyAddress, ReadOnlySpan<byte> tag)
    {
        EndpointDiscriminator = endpointDiscriminator;
        ReplyAddress = replyAddress;
        Tag = tag;
    }

    public ReadOnlySpan<byte> EndpointDiscriminator { get; }
    public Address ReplyAddress { get; }
    public ReadOnlySpan<byte> Tag { get; }

    public int PayloadLength => Vlu.GetPrefixedLength(EndpointDiscriminator.Length)
        + ReplyAddress.Length + Tag.Length;
    public int Length => PacketLimits.ChunkHeaderLength + PayloadLength;

    public static bool TryRead(ReadOnlySpan<byte> payload, out FIHelloChunk chunk)
    {
        chunk = default;
        var r = new WireReader(payload);
        if (!r.TryReadVluPrefixedBytes(out var epd) || !Address.TryRead(ref r, out var reply))
        {
            return false;
        }
        chunk = new FIHelloChunk(epd, reply, r.ReadRemaining());
        return true;
    }

    public static void Write(ref WireWriter writer, scoped FIHelloChunk chunk)
    {
        ChunkWriter.WriteHeader(ref writer, ChunkType.FIHello, chunk.PayloadLength);
        writer.WriteVluPrefixedBytes(chunk.EndpointDiscriminator);
        chunk.ReplyAddress.Write(ref writer);
        writer.WriteBytes(chunk.Tag);
    }
}
