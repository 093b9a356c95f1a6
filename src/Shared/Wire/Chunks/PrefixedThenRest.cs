namespace Rtmfp.Shared.Wire;

/// <summary>
/// The payload layout IHello (RFC 7016 §2.3.2), Responder Redirect (§2.3.5) and RHello Cookie Change (§2.3.6) share:
/// one VLU-prefixed byte string, then the rest of the payload. The chunks keep their own field names; this reads
/// and writes the layout once.
/// </summary>
internal static class PrefixedThenRest
{
    public static int GetPayloadLength(int firstLength, int restLength) => Vlu.GetPrefixedLength(firstLength) + restLength;

    /// <summary>Fails (both spans empty) when the prefixed string is truncated; the rest may be empty.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> first, out ReadOnlySpan<byte> rest)
    {
        var r = new WireReader(payload);
        if (!r.TryReadVluPrefixedBytes(out first))
        {
            rest = default;
            return false;
        }
        rest = r.ReadRemaining();
        return true;
    }

    public static void Write(ref WireWriter writer, ChunkType type, scoped ReadOnlySpan<byte> first, scoped ReadOnlySpan<byte> rest)
    {
        ChunkWriter.WriteHeader(ref writer, type, GetPayloadLength(first.Length, rest.Length));
        writer.WriteVluPrefixedBytes(first);
        writer.WriteBytes(rest);
    }
}
