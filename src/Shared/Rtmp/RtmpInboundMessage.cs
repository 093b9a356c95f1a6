using System.Buffers;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Shared.Rtmp;

/// <summary>
/// One whole message read from a chunk stream. <see cref="Buffer"/> is a pooled array laid out as an RTMP message on an
/// RTMFP flow (<c>type u8 | timestamp u32 | payload</c>, RFC 7425 §5.1.2), so the Flash layer takes it as it is; the
/// message stream ID travels beside it, as it does beside a flow. The receiver hands the buffer back with
/// <see cref="Release"/> once done (consumers copy what they keep).
/// </summary>
public readonly struct RtmpInboundMessage(int chunkStreamId, uint streamId, RtmpMessageType type, uint timestamp, byte[] buffer, int length)
{
    public int ChunkStreamId { get; } = chunkStreamId;
    public uint StreamId { get; } = streamId;
    public RtmpMessageType Type { get; } = type;
    public uint Timestamp { get; } = timestamp;
    public byte[] Buffer { get; } = buffer;

    /// <summary>Header (5 bytes) plus payload.</summary>
    public int Length { get; } = length;

    public ReadOnlySpan<byte> Message => Buffer.AsSpan(0, Length);
    public ReadOnlySpan<byte> Payload => Buffer.AsSpan(RtmpMessage.HeaderLength, Length - RtmpMessage.HeaderLength);

    /// <summary>Returns the buffer to the pool; the message must not be used afterwards.</summary>
    public void Release() => ArrayPool<byte>.Shared.Return(Buffer);
}
