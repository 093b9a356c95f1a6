using System.Buffers;
using System.Buffers.Binary;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Shared.Rtmp;

/// <summary>
/// Splits messages into chunks (RTMP specification §5.3): the first chunk of a message gets a type 0 header when the
/// chunk stream is new, changes message stream or goes back in time, type 1 when length or type change, type 2
/// otherwise; the chunks after it get type 3 headers. Timestamps and deltas of 0xFFFFFF or more go in an extended
/// timestamp field, repeated on the type 3 chunks of that message (§5.3.1.3, as Flash and ffmpeg expect). Writes
/// only chunk stream IDs 2 to 63 (one-byte basic headers): the server chooses its own. Not thread-safe.
/// </summary>
public sealed class RtmpChunkWriter
{
    private const uint ExtendedTimestampMarker = 0xFFFFFF;
    private const int MaxChunkStreamId = 63;
    private const int MaxFirstHeader = 1 + 11 + 4;
    private const int MaxContinuationHeader = 1 + 4;

    private struct Previous
    {
        public bool Used;
        public uint StreamId;
        public RtmpMessageType Type;
        public int Length;
        public uint Timestamp;
    }

    private readonly Previous[] _previous = new Previous[MaxChunkStreamId + 1];

    /// <summary>Our chunk size: set it right after writing a Set Chunk Size message with the new value (§5.4.1).</summary>
    public int ChunkSize { get; set; } = RtmpControl.DefaultChunkSize;

    /// <summary>Largest number of bytes <see cref="Write(Span{byte}, int, uint, RtmpMessageType, uint, ReadOnlySpan{byte})"/> writes for a payload.</summary>
    public int MaxEncodedLength(int payloadLength)
    {
        int chunks = Math.Max(1, (payloadLength + ChunkSize - 1) / ChunkSize);
        return payloadLength + MaxFirstHeader + ((chunks - 1) * MaxContinuationHeader);
    }

    /// <summary>Writes one message as chunks; returns the bytes written.</summary>
    public int Write(Span<byte> destination, int chunkStreamId, uint streamId, RtmpMessageType type, uint timestamp, ReadOnlySpan<byte> payload)
    {
        if ((uint)(chunkStreamId - RtmpControl.ChunkStreamId) > MaxChunkStreamId - RtmpControl.ChunkStreamId)
        {
            throw new ArgumentOutOfRangeException(nameof(chunkStreamId), chunkStreamId, "the writer uses chunk streams 2 to 63");
        }
        if (payload.Length > 0xFFFFFF)
        {
            throw new ArgumentException("a message holds at most 16 MiB", nameof(payload));
        }
        if (destination.Length < MaxEncodedLength(payload.Length))
        {
            throw new ArgumentException("destination too small for the chunks", nameof(destination));
        }
        ref var previous = ref _previous[chunkStreamId];
        int format;
        uint field;
        if (!previous.Used || previous.StreamId != streamId || RtmpMessage.TimestampLessThan(timestamp, previous.Timestamp))
        {
            format = 0;
            field = timestamp;
        }
        else
        {
            format = previous.Type != type || previous.Length != payload.Length ? 1 : 2;
            field = timestamp - previous.Timestamp;
        }
        previous = new Previous { Used = true, StreamId = streamId, Type = type, Length = payload.Length, Timestamp = timestamp };
        bool extended = field >= ExtendedTimestampMarker;
        int position = 0;
        destination[position++] = (byte)((format << 6) | chunkStreamId);
        WriteUInt24(destination[position..], extended ? ExtendedTimestampMarker : field);
        position += 3;
        if (format <= 1)
        {
            WriteUInt24(destination[position..], (uint)payload.Length);
            destination[position + 3] = (byte)type;
            position += 4;
        }
        if (format == 0)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(destination[position..], streamId);
            position += 4;
        }
        if (extended)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[position..], field);
            position += 4;
        }
        int offset = 0;
        while (true)
        {
            int size = Math.Min(ChunkSize, payload.Length - offset);
            payload.Slice(offset, size).CopyTo(destination[position..]);
            position += size;
            offset += size;
            if (offset >= payload.Length)
            {
                return position;
            }
            destination[position++] = (byte)((3 << 6) | chunkStreamId);
            if (extended)
            {
                BinaryPrimitives.WriteUInt32BigEndian(destination[position..], field);
                position += 4;
            }
        }
    }

    /// <summary>Writes one message as chunks into <paramref name="output"/>.</summary>
    public void Write(IBufferWriter<byte> output, int chunkStreamId, uint streamId, RtmpMessageType type, uint timestamp, ReadOnlySpan<byte> payload)
    {
        int written = Write(output.GetSpan(MaxEncodedLength(payload.Length)), chunkStreamId, streamId, type, timestamp, payload);
        output.Advance(written);
    }

    private static void WriteUInt24(Span<byte> destination, uint value)
    {
        destination[0] = (byte)(value >> 16);
        destination[1] = (byte)(value >> 8);
        destination[2] = (byte)value;
    }
}
