using System.Buffers.Binary;

namespace Rtmfp.Shared.Rtmp;

/// <summary>Limit type of a Set Peer Bandwidth message (RTMP specification §5.4.5).</summary>
public enum PeerBandwidthLimit : byte
{
    Hard = 0,
    Soft = 1,
    Dynamic = 2,
}

/// <summary>
/// Payloads of the protocol control messages (RTMP specification §5.4, message types 1, 2, 3, 5, 6 on chunk stream 2,
/// message stream 0): Set Chunk Size, Abort, Acknowledgement, Window Acknowledgement Size, Set Peer Bandwidth. Each is
/// a big-endian u32, Set Peer Bandwidth followed by a limit type byte.
/// </summary>
public static class RtmpControl
{
    /// <summary>The chunk stream protocol control messages travel on.</summary>
    public const int ChunkStreamId = 2;

    /// <summary>The chunk size both ends start with (§5.4.1).</summary>
    public const int DefaultChunkSize = 128;

    /// <summary>The largest chunk size a Set Chunk Size may announce (§5.4.1: 31 bits, and no larger than a message).</summary>
    public const int MaxChunkSize = 0xFFFFFF;

    /// <summary>Reads a u32 payload (types 1, 2, 3, 5). Set Chunk Size's top bit must be 0 (§5.4.1).</summary>
    public static bool TryReadValue(ReadOnlySpan<byte> payload, out uint value)
    {
        if (payload.Length < 4)
        {
            value = 0;
            return false;
        }
        value = BinaryPrimitives.ReadUInt32BigEndian(payload);
        return true;
    }

    /// <summary>Reads Set Peer Bandwidth (type 6): window size and limit type.</summary>
    public static bool TryReadPeerBandwidth(ReadOnlySpan<byte> payload, out uint windowSize, out PeerBandwidthLimit limit)
    {
        if (payload.Length < 5 || payload[4] > (byte)PeerBandwidthLimit.Dynamic)
        {
            windowSize = 0;
            limit = default;
            return false;
        }
        windowSize = BinaryPrimitives.ReadUInt32BigEndian(payload);
        limit = (PeerBandwidthLimit)payload[4];
        return true;
    }

    /// <summary>Writes a u32 payload; returns 4.</summary>
    public static int WriteValue(Span<byte> destination, uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, value);
        return 4;
    }

    /// <summary>Writes a Set Peer Bandwidth payload; returns 5.</summary>
    public static int WritePeerBandwidth(Span<byte> destination, uint windowSize, PeerBandwidthLimit limit)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, windowSize);
        destination[4] = (byte)limit;
        return 5;
    }
}
