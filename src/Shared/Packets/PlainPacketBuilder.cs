using System.Buffers.Binary;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Packets;

/// <summary>
/// Assembles a plain packet (RFC 7016 §2.2.4: header, then chunks) into a caller span whose length is
/// the packet's size budget (an MTU budget: see <see cref="DatagramCodec.GetPlainRegion"/>). Appends
/// that do not fit return false and leave the packet unchanged. Allocation-free.
/// </summary>
public ref struct PlainPacketBuilder
{
    private readonly Span<byte> _buffer;
    private int _length;
    private int _chunkCount;

    /// <summary>Writes <paramref name="header"/> at the start of <paramref name="buffer"/>. Throws if even the header does not fit.</summary>
    public PlainPacketBuilder(Span<byte> buffer, PacketHeader header)
    {
        if (buffer.Length < header.Length)
        {
            throw new ArgumentException("buffer smaller than the packet header", nameof(buffer));
        }
        _buffer = buffer;
        _length = header.Write(buffer);
        HeaderLength = _length;
        _chunkCount = 0;
    }

    public int HeaderLength { get; }

    /// <summary>Bytes written so far (header and chunks).</summary>
    public readonly int Length => _length;

    /// <summary>Bytes still available within the budget.</summary>
    public readonly int Remaining => _buffer.Length - _length;

    public readonly int ChunkCount => _chunkCount;

    public readonly bool HasChunks => _chunkCount > 0;

    /// <summary>The plain packet so far, ready for <see cref="DatagramCodec.Seal"/>.</summary>
    public readonly ReadOnlySpan<byte> Written => _buffer[.._length];

    /// <summary>Largest chunk payload that still fits (0 when not even a chunk header does).</summary>
    public readonly int MaxChunkPayload =>
        Math.Clamp(Remaining - PacketLimits.ChunkHeaderLength, 0, PacketLimits.MaxChunkPayloadLength);

    /// <summary>Appends a chunk with its payload copied in; false (nothing written) if it exceeds the budget.</summary>
    public bool TryAppendChunk(ChunkType type, scoped ReadOnlySpan<byte> payload)
    {
        if (!TryReserveChunk(type, payload.Length, out var destination))
        {
            return false;
        }
        payload.CopyTo(destination);
        return true;
    }

    /// <summary>
    /// Appends a chunk header for a payload of exactly <paramref name="payloadLength"/> bytes and returns the
    /// payload span to fill in place; false (nothing written) if it exceeds the budget.
    /// </summary>
    public bool TryReserveChunk(ChunkType type, int payloadLength, out Span<byte> payload)
    {
        if ((uint)payloadLength > PacketLimits.MaxChunkPayloadLength || payloadLength > Remaining - PacketLimits.ChunkHeaderLength)
        {
            payload = default;
            return false;
        }
        var chunk = _buffer.Slice(_length, PacketLimits.ChunkHeaderLength + payloadLength);
        chunk[0] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(chunk[1..], (ushort)payloadLength);
        payload = chunk[PacketLimits.ChunkHeaderLength..];
        _length += chunk.Length;
        _chunkCount++;
        return true;
    }

    /// <summary>
    /// Reserves <paramref name="length"/> bytes for one whole chunk (header included) written by the caller,
    /// e.g. with <c>UserDataChunk.Write</c> over a <see cref="WireWriter"/>; false if it exceeds the budget.
    /// </summary>
    public bool TryAppend(int length, out Span<byte> chunk)
    {
        if (length < PacketLimits.ChunkHeaderLength || length > Remaining)
        {
            chunk = default;
            return false;
        }
        chunk = _buffer.Slice(_length, length);
        _length += length;
        _chunkCount++;
        return true;
    }
}
