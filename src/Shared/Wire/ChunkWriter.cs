using System.Buffers.Binary;

namespace Rtmfp.Shared.Wire;

/// <summary>Writes chunk headers (type u8 + length u16, RFC 7016 §2.3), either with a known length or around a payload written in place.</summary>
internal static class ChunkWriter
{
    /// <summary>Writes a header for a payload of known length.</summary>
    public static void WriteHeader(ref WireWriter writer, ChunkType type, int payloadLength)
    {
        if ((uint)payloadLength > PacketLimits.MaxChunkPayloadLength)
        {
            throw new ArgumentOutOfRangeException(nameof(payloadLength), "chunk payload exceeds 65535 bytes");
        }
        writer.WriteByte((byte)type);
        writer.WriteUInt16((ushort)payloadLength);
    }

    /// <summary>Reserves a chunk header; write the payload, then call <see cref="End"/> with the returned mark.</summary>
    public static ChunkMark Begin(ref WireWriter writer, ChunkType type)
    {
        var mark = new ChunkMark(writer.Position, type);
        writer.Reserve(PacketLimits.ChunkHeaderLength);
        return mark;
    }

    /// <summary>Fills in the header reserved by <see cref="Begin"/> with the length of what was written since.</summary>
    public static void End(ref WireWriter writer, ChunkMark mark)
    {
        int payloadLength = writer.Position - mark.Start - PacketLimits.ChunkHeaderLength;
        if (payloadLength < 0 || payloadLength > PacketLimits.MaxChunkPayloadLength)
        {
            throw new InvalidOperationException("chunk payload length out of range");
        }
        var header = writer.Buffer.Slice(mark.Start, PacketLimits.ChunkHeaderLength);
        header[0] = (byte)mark.Type;
        BinaryPrimitives.WriteUInt16BigEndian(header[1..], (ushort)payloadLength);
    }
}

/// <summary>Position and type of a chunk header reserved by <see cref="ChunkWriter.Begin"/>.</summary>
internal readonly record struct ChunkMark(int Start, ChunkType Type);
