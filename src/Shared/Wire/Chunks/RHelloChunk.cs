namespace Rtmfp.Shared.Wire;

/// <summary>Responder Hello chunk 0x70 (RFC 7016 §2.3.4): tagEcho, cookie (both VLU-prefixed), responderCertificate.</summary>
public readonly ref struct RHelloChunk
{
    public RHelloChunk(ReadOnlySpan<byte> tagEcho, ReadOnlySpan<byte> cookie, ReadOnlySpan<byte> responderCertificate)
    {
        TagEcho = tagEcho;
        Cookie = cookie;
        ResponderCertificate = responderCertificate;
    }

    public ReadOnlySpan<byte> TagEcho { get; }
    public ReadOnlySpan<byte> Cookie { get; }
    public ReadOnlySpan<byte> ResponderCertificate { get; }

    public int PayloadLength => Vlu.GetPrefixedLength(TagEcho.Length)
        + Vlu.GetPrefixedLength(Cookie.Length) + ResponderCertificate.Length;
    public int Length => PacketLimits.ChunkHeaderLength + PayloadLength;

    public static bool TryRead(ReadOnlySpan<byte> payload, out RHelloChunk chunk)
    {
        chunk = default;
        var r = new WireReader(payload);
        if (!r.TryReadVluPrefixedBytes(out var tag) || !r.TryReadVluPrefixedBytes(out var cookie))
        {
            return false;
        }
        chunk = new RHelloChunk(tag, cookie, r.ReadRemaining());
        return true;
    }

    public static void Write(ref WireWriter writer, scoped RHelloChunk chunk)
    {
        ChunkWriter.WriteHeader(ref writer, ChunkType.RHello, chunk.PayloadLength);
        writer.WriteVluPrefixedBytes(chunk.TagEcho);
        writer.WriteVluPrefixedBytes(chunk.Cookie);
        writer.WriteBytes(chunk.ResponderCertificate);
    }
}
