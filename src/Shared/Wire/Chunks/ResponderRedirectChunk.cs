namespace Rtmfp.Shared.Wire;

/// <summary>
/// Responder Redirect chunk 0x71 (RFC 7016 §2.3.5): tagEcho (VLU-prefixed) then zero or more Addresses to the
/// end. Zero addresses is an Implied Redirect (the packet's source address).
/// </summary>
public readonly ref struct ResponderRedirectChunk
{
    /// <param name="redirectDestinations">Concatenated encoded addresses (see <see cref="Address.Write(Span{byte})"/>).</param>
    public ResponderRedirectChunk(ReadOnlySpan<byte> tagEcho, ReadOnlySpan<byte> redirectDestinations)
    {
        TagEcho = tagEcho;
        RedirectDestinations = redirectDestinations;
    }

    public ReadOnlySpan<byte> TagEcho { get; }

    /// <summary>The encoded addresses; iterate with <see cref="GetDestinations"/>.</summary>
    public ReadOnlySpan<byte> RedirectDestinations { get; }

    public bool IsImpliedRedirect => RedirectDestinations.IsEmpty;

    public AddressListReader GetDestinations() => new(RedirectDestinations);

    public int PayloadLength => PrefixedThenRest.GetPayloadLength(TagEcho.Length, RedirectDestinations.Length);
    public int Length => PacketLimits.ChunkHeaderLength + PayloadLength;

    /// <summary>Payload size for a redirect listing <paramref name="destinations"/>.</summary>
    public static int GetPayloadLength(int tagLength, ReadOnlySpan<Address> destinations)
    {
        int n = Vlu.GetPrefixedLength(tagLength);
        foreach (var a in destinations)
        {
            n += a.Length;
        }
        return n;
    }

    /// <summary>Rejects the chunk if any address is malformed (a syntax error ignores the whole chunk, RFC 7016 §2.3).</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out ResponderRedirectChunk chunk)
    {
        chunk = default;
        if (!PrefixedThenRest.TryRead(payload, out var tag, out var destinations))
        {
            return false;
        }
        var rest = destinations;
        while (!rest.IsEmpty)
        {
            if (!Address.TryRead(rest, out _, out int consumed))
            {
                return false;
            }
            rest = rest[consumed..];
        }
        chunk = new ResponderRedirectChunk(tag, destinations);
        return true;
    }

    public static void Write(ref WireWriter writer, scoped ResponderRedirectChunk chunk) =>
        PrefixedThenRest.Write(ref writer, ChunkType.ResponderRedirect, chunk.TagEcho, chunk.RedirectDestinations);

    /// <summary>Writes a whole Redirect chunk from a list of addresses.</summary>
    public static void Write(ref WireWriter writer, scoped ReadOnlySpan<byte> tagEcho, scoped ReadOnlySpan<Address> destinations)
    {
        ChunkWriter.WriteHeader(ref writer, ChunkType.ResponderRedirect, GetPayloadLength(tagEcho.Length, destinations));
        writer.WriteVluPrefixedBytes(tagEcho);
        foreach (var a in destinations)
        {
            a.Write(ref writer);
        }
    }
}
