namespace Rtmfp.Shared.Wire;

/// <summary>
/// Writes single-chunk plain startup packets (0x0B header, RFC 7016 §2.2.4) into caller spans, or into
/// exactly sized arrays. Writers throw if the destination is too small (a caller bug).
/// </summary>
public static class StartupPacketWriter
{
    public static int IHelloLength(ReadOnlySpan<byte> epd, ReadOnlySpan<byte> tag) =>
        StartupPacket.HeaderLength + new IHelloChunk(epd, tag).Length;

    public static int WriteIHello(Span<byte> destination, long nowMs, ReadOnlySpan<byte> epd, ReadOnlySpan<byte> tag)
    {
        var w = Begin(destination, nowMs);
        IHelloChunk.Write(ref w, new IHelloChunk(epd, tag));
        return w.Position;
    }

    public static int RHelloLength(ReadOnlySpan<byte> tag, ReadOnlySpan<byte> cookie, ReadOnlySpan<byte> certificate) =>
        StartupPacket.HeaderLength + new RHelloChunk(tag, cookie, certificate).Length;

    public static int WriteRHello(Span<byte> destination, long nowMs, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> cookie, ReadOnlySpan<byte> certificate)
    {
        var w = Begin(destination, nowMs);
        RHelloChunk.Write(ref w, new RHelloChunk(tag, cookie, certificate));
        return w.Position;
    }

    public static int WriteRedirect(Span<byte> destination, long nowMs, ReadOnlySpan<byte> tag, ReadOnlySpan<Address> destinations)
    {
        var w = Begin(destination, nowMs);
        ResponderRedirectChunk.Write(ref w, tag, destinations);
        return w.Position;
    }

    public static int IIKeyingLength(ReadOnlySpan<byte> cookie, ReadOnlySpan<byte> certificate, ReadOnlySpan<byte> skic, ReadOnlySpan<byte> signature) =>
        StartupPacket.HeaderLength + new IIKeyingChunk(0, cookie, certificate, skic, signature).Length;

    public static int WriteIIKeying(Span<byte> destination, long nowMs, uint initiatorSessionId, ReadOnlySpan<byte> cookie,
        ReadOnlySpan<byte> certificate, ReadOnlySpan<byte> skic, ReadOnlySpan<byte> signature)
    {
        var w = Begin(destination, nowMs);
        IIKeyingChunk.Write(ref w, new IIKeyingChunk(initiatorSessionId, cookie, certificate, skic, signature));
        return w.Position;
    }

    public static int RIKeyingLength(ReadOnlySpan<byte> skrc, ReadOnlySpan<byte> signature) =>
        StartupPacket.HeaderLength + new RIKeyingChunk(0, skrc, signature).Length;

    public static int WriteRIKeying(Span<byte> destination, long nowMs, uint responderSessionId, ReadOnlySpan<byte> skrc, ReadOnlySpan<byte> signature)
    {
        var w = Begin(destination, nowMs);
        RIKeyingChunk.Write(ref w, new RIKeyingChunk(responderSessionId, skrc, signature));
        return w.Position;
    }

    public static int WriteCookieChange(Span<byte> destination, long nowMs, ReadOnlySpan<byte> oldCookie, ReadOnlySpan<byte> newCookie)
    {
        var w = Begin(destination, nowMs);
        RHelloCookieChangeChunk.Write(ref w, new RHelloCookieChangeChunk(oldCookie, newCookie));
        return w.Position;
    }

    public static byte[] IHello(long nowMs, ReadOnlySpan<byte> epd, ReadOnlySpan<byte> tag)
    {
        var packet = new byte[IHelloLength(epd, tag)];
        WriteIHello(packet, nowMs, epd, tag);
        return packet;
    }

    public static byte[] RHello(long nowMs, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> cookie, ReadOnlySpan<byte> certificate)
    {
        var packet = new byte[RHelloLength(tag, cookie, certificate)];
        WriteRHello(packet, nowMs, tag, cookie, certificate);
        return packet;
    }

    public static byte[] Redirect(long nowMs, ReadOnlySpan<byte> tag, ReadOnlySpan<Address> destinations)
    {
        var packet = new byte[StartupPacket.HeaderLength + PacketLimits.ChunkHeaderLength + ResponderRedirectChunk.GetPayloadLength(tag.Length, destinations)];
        WriteRedirect(packet, nowMs, tag, destinations);
        return packet;
    }

    public static byte[] IIKeying(long nowMs, uint initiatorSessionId, ReadOnlySpan<byte> cookie, ReadOnlySpan<byte> certificate,
        ReadOnlySpan<byte> skic, ReadOnlySpan<byte> signature)
    {
        var packet = new byte[IIKeyingLength(cookie, certificate, skic, signature)];
        WriteIIKeying(packet, nowMs, initiatorSessionId, cookie, certificate, skic, signature);
        return packet;
    }

    public static byte[] RIKeying(long nowMs, uint responderSessionId, ReadOnlySpan<byte> skrc, ReadOnlySpan<byte> signature)
    {
        var packet = new byte[RIKeyingLength(skrc, signature)];
        WriteRIKeying(packet, nowMs, responderSessionId, skrc, signature);
        return packet;
    }

    public static byte[] CookieChange(long nowMs, ReadOnlySpan<byte> oldCookie, ReadOnlySpan<byte> newCookie)
    {
        var packet = new byte[StartupPacket.HeaderLength + new RHelloCookieChangeChunk(oldCookie, newCookie).Length];
        WriteCookieChange(packet, nowMs, oldCookie, newCookie);
        return packet;
    }

    /// <summary>A writer over <paramref name="destination"/>, past the startup packet header it wrote.</summary>
    private static WireWriter Begin(Span<byte> destination, long nowMs)
    {
        var w = new WireWriter(destination);
        StartupPacket.WriteHeader(ref w, nowMs);
        return w;
    }
}
