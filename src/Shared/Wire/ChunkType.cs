namespace Rtmfp.Shared.Wire;

/// <summary>Chunk type codes (RFC 7016 §2.3). Other byte values are unknown types and are ignored.</summary>
public enum ChunkType : byte
{
    Padding = 0x00,
    Ping = 0x01,
    SessionCloseRequest = 0x0C,
    FIHello = 0x0F,
    UserData = 0x10,
    NextUserData = 0x11,
    BufferProbe = 0x18,
    IHello = 0x30,
    IIKeying = 0x38,
    PingReply = 0x41,
    SessionCloseAcknowledgement = 0x4C,
    DataAcknowledgementBitmap = 0x50,
    DataAcknowledgementRanges = 0x51,
    FlowExceptionReport = 0x5E,
    RHello = 0x70,
    ResponderRedirect = 0x71,
    RIKeying = 0x78,
    RHelloCookieChange = 0x79,
    PacketFragment = 0x7F,
    PaddingFF = 0xFF,
}

/// <summary>Classification of chunk types by the packet modes they may appear in (RFC 7016 §2.2.4, §2.3).</summary>
public static class ChunkTypes
{
    /// <summary>0x00 and 0xFF are Ignore/Padding chunks.</summary>
    public static bool IsPadding(ChunkType type) => type is ChunkType.Padding or ChunkType.PaddingFF;

    /// <summary>Session startup chunks: only allowed in mode 3 packets.</summary>
    public static bool IsStartup(ChunkType type) => type is ChunkType.IHello or ChunkType.RHello
        or ChunkType.ResponderRedirect or ChunkType.RHelloCookieChange or ChunkType.IIKeying or ChunkType.RIKeying;

    /// <summary>Chunk types this implementation knows how to parse (everything else is skipped).</summary>
    public static bool IsKnown(ChunkType type) => type switch
    {
        ChunkType.Padding or ChunkType.PaddingFF or ChunkType.Ping or ChunkType.SessionCloseRequest
            or ChunkType.FIHello or ChunkType.UserData or ChunkType.NextUserData or ChunkType.BufferProbe
            or ChunkType.IHello or ChunkType.IIKeying or ChunkType.PingReply or ChunkType.SessionCloseAcknowledgement
            or ChunkType.DataAcknowledgementBitmap or ChunkType.DataAcknowledgementRanges
            or ChunkType.FlowExceptionReport or ChunkType.RHello or ChunkType.ResponderRedirect
            or ChunkType.RIKeying or ChunkType.RHelloCookieChange or ChunkType.PacketFragment => true,
        _ => false,
    };

    /// <summary>
    /// Whether a chunk of this type may be processed in a packet of this mode. Startup chunks only in mode 3;
    /// Packet Fragment and padding in any valid mode; all others only in modes 1 and 2 (RFC 7016 §2.2.4, §3.4).
    /// A receiver MUST ignore a chunk in a packet of the wrong mode (RFC 7016 §2.3).
    /// </summary>
    public static bool IsAllowedInMode(ChunkType type, PacketMode mode)
    {
        if (mode == PacketMode.Forbidden || (byte)mode > 3)
        {
            return false;
        }
        if (type == ChunkType.PacketFragment || IsPadding(type))
        {
            return true;
        }
        return IsStartup(type) ? mode == PacketMode.Startup : mode != PacketMode.Startup;
    }
}
