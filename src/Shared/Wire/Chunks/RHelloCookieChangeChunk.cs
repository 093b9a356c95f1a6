namespace Rtmfp.Shared.Wire;

/// <summary>RHello Cookie Change chunk 0x79 (RFC 7016 §2.3.6): oldCookie (VLU-prefixed) then newCookie.</summary>
public readonly ref struct RHelloCookieChangeChunk
{
    public RHelloCookieChangeChunk(ReadOnlySpan<byte> oldCookie, ReadOnlySpan<byte> newCookie)
    {
        OldCookie = oldCookie;
        NewCookie = newCookie;
    }

    public ReadOnlySpan<byte> OldCookie { get; }
    public ReadOnlySpan<byte> NewCookie { get; }

    public int PayloadLength => Vlu.GetPrefixedLength(OldCookie.Length) + NewCookie.Length;
    public int Length => PacketLimits.ChunkHeaderLength + PayloadLength;

    public static bool TryRead(ReadOnlySpan<byte> payload, out RHelloCookieChangeChunk chunk)
    {
        chunk = default;
        var r = new WireReader(payload);
        if (!r.TryReadVluPrefixedBytes(out var oldCookie))
        {
            return false;
        }
        chunk = new RHelloCookieChangeChunk(oldCookie, r.ReadRemaining());
        return true;
    }

    public static void Write(ref WireWriter writer, scoped RHelloCookieChangeChunk chunk)
    {
        ChunkWriter.WriteHeader(ref writer, ChunkType.RHelloCookieChange, chunk.PayloadLength);
        writer.WriteVluPrefixedBytes(chunk.OldCookie);
        writer.WriteBytes(chunk.NewCookie);
    }
}
