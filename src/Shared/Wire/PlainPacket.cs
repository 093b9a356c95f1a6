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

    /// <summary>
    /// Whether the packet holds acknowledgements (RFC 7016 §2.3.13, §2.3.14) and nothing else but padding: such a packet
    /// only moves its session's sending side (congestion window, flows' acknowledged data, retransmission).
    /// </summary>
    public static bool HoldsOnlyAcknowledgements(ReadOnlySpan<byte> packet)
    {
        if (!TryRead(packet, out _, out var chunks))
        {
            return false;
        }
        bool any = false;
        foreach (var chunk in chunks)
        {
            if (chunk.Type is ChunkType.DataAcknowledgementBitmap or ChunkType.DataAcknowledgementRanges)
            {
                any = true;
            }
            else if (!ChunkTypes.IsPadding(chunk.Type))
            {
                return false;
            }
        }
        return any;
    }

    /// <summary>Whether the packet holds a Session Close Request (RFC 7016 §2.3.17).</summary>
    public static bool HoldsSessionCloseRequest(ReadOnlySpan<byte> packet)
    {
        if (!TryRead(packet, out _, out var chunks))
        {
            return false;
        }
        foreach (var chunk in chunks)
        {
            if (chunk.Type == ChunkType.SessionCloseRequest)
            {
                return true;
            }
        }
        return false;
    }
}
