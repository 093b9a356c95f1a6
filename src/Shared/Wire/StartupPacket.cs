namespace Rtmfp.Shared.Wire;

/// <summary>
/// Plain startup packets (RFC 7016 §2.2.4, mode 3). The flags byte is exactly 0x0B (TS | startup):
/// Cumulus, MonaServer and librtmfp reject any other value (docs/protocol-notes.md §2).
/// </summary>
public static class StartupPacket
{
    /// <summary>TS | mode 3.</summary>
    public const byte Flags = (byte)(PacketFlags.TimestampPresent | (PacketFlags)PacketMode.Startup);

    /// <summary>Flags byte and timestamp.</summary>
    public const int HeaderLength = 3;

    /// <summary>Writes the 0x0B header with the 250 Hz timestamp of <paramref name="nowMs"/>.</summary>
    public static void WriteHeader(ref WireWriter writer, long nowMs)
    {
        writer.WriteByte(Flags);
        writer.WriteUInt16(Timestamp.FromMilliseconds(nowMs));
    }

    /// <summary>
    /// Parses a decrypted plain packet as a startup packet: mode 3 (RFC 7016 §2.2.4: startup chunks are only
    /// valid in mode 3). Other flag bits are tolerated on receipt.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> plainPacket, out ChunkReader chunks)
    {
        if (!PlainPacket.TryRead(plainPacket, out var header, out chunks) || header.Mode != PacketMode.Startup)
        {
            chunks = default;
            return false;
        }
        return true;
    }
}
