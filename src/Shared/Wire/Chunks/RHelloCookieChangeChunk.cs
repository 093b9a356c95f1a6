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

    public int PayloadLength => PrefixedThenRest.GetPayloadLength(OldCookie.Length, NewCookie.Length);
    public int Length => PacketLimits.ChunkHeaderLength + PayloadLength;

    public static bool TryRead(ReadOnlySpan<byte> payload, out RHelloCookieChangeChunk chunk)
    {
        bool ok = PrefixedThenRest.TryRead(payload, out var oldCookie, out var newCookie);
        chunk = new RHelloCookieChangeChunk(oldCookie, newCookie);
        return ok;
    }

    public static void Write(ref WireWriter writer, scoped RHelloCookieChangeChunk chunk) =>
        PrefixedThenRest.Write(ref writer, ChunkType.RHelloCookieChange, chunk.OldCookie, chunk.NewCookie);
}
