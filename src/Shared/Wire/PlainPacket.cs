namespace Rtmfp.Shared.Wire;

/// <summary>Entry point for parsing a decrypted plain packet (RFC 7016 §2.2.4).</summary>
public static class PlainPacket
{
    /// <summary>Parses the header and returns an iterator over the chunks. False for mode 0 or a truncated header.</summary>
    public static bool TryRead(ReadOnlySpan<byte> packet, out PacketHeader header, out ChunkReader chunks)
    {
        if (!PacketHeader.TryRead(packet, out header, out int headerLength))
        {
            chunks = default;
            return false;
        }
        chunks = new ChunkReader(packet[headerLength..]);
        return true;
    }
}
