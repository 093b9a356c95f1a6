using System.Buffers.Binary;

namespace Rtmfp.Client.Flash;

/// <summary>
/// Synthetic FLV audio/video tags for tests and load (no real codec data): AVC and AAC sequence headers and frames
/// whose body starts with a sequence number and the send time, so receivers can check order and measure delay.
/// </summary>
public static class SyntheticMedia
{
    /// <summary>Bytes of a frame's stamp: 4-byte sequence number, 8-byte send time (any clock the caller picks, e.g. Stopwatch ticks).</summary>
    public const int StampLength = 12;

    /// <summary>AVC keyframe, AVCPacketType 0 (sequence header), composition time 0, a minimal AVCDecoderConfigurationRecord.</summary>
    public static byte[] AvcSequenceHeader() => [0x17, 0x00, 0, 0, 0, 0x01, 0x64, 0x00, 0x1F, 0xFF, 0xE1, 0x00, 0x00, 0x01, 0x00, 0x00];

    /// <summary>AAC (format 10, 44 kHz, 16-bit, stereo), AACPacketType 0 (sequence header), AudioSpecificConfig LC 44.1 kHz stereo.</summary>
    public static byte[] AacSequenceHeader() => [0xAF, 0x00, 0x12, 0x10];

    /// <summary>An AVC NALU frame (key or inter) of <paramref name="size"/> bytes carrying a stamp.</summary>
    public static byte[] VideoFrame(bool keyframe, uint sequence, long sentAt, int size)
    {
        var tag = new byte[Math.Max(size, 5 + StampLength)];
        tag[0] = (byte)(keyframe ? 0x17 : 0x27);
        tag[1] = 0x01; // AVCPacketType 1: NALU, composition time 0
        Stamp(tag.AsSpan(5), sequence, sentAt);
        return tag;
    }

    /// <summary>An AAC raw frame of <paramref name="size"/> bytes carrying a stamp.</summary>
    public static byte[] AudioFrame(uint sequence, long sentAt, int size)
    {
        var tag = new byte[Math.Max(size, 2 + StampLength)];
        tag[0] = 0xAF;
        tag[1] = 0x01; // AACPacketType 1: raw
        Stamp(tag.AsSpan(2), sequence, sentAt);
        return tag;
    }

    /// <summary>Reads the stamp of a frame built here (not of a sequence header).</summary>
    public static bool TryReadStamp(ReadOnlySpan<byte> tag, out uint sequence, out long sentAt)
    {
        sequence = 0;
        sentAt = 0;
        int offset = tag.Length > 0 && tag[0] == 0xAF ? 2 : 5;
        if (tag.Length < offset + StampLength || tag[1] != 0x01)
        {
            return false;
        }
        sequence = BinaryPrimitives.ReadUInt32BigEndian(tag[offset..]);
        sentAt = BinaryPrimitives.ReadInt64BigEndian(tag[(offset + 4)..]);
        return true;
    }

    private static void Stamp(Span<byte> destination, uint sequence, long sentAt)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, sequence);
        BinaryPrimitives.WriteInt64BigEndian(destination[4..], sentAt);
    }
}
