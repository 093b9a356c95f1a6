using System.Buffers.Binary;

namespace Rtmfp.Client.Flash;

/// <summary>
/// The FLV file header (FLV v10.1 §E.2): "FLV", version 1, flags (audio 0x04, video 0x01), DataOffset (9 for
/// version 1), then PreviousTagSize0 = 0 before the first tag.
/// </summary>
public readonly struct FlvHeader(bool hasAudio, bool hasVideo, uint dataOffset = FlvHeader.Length)
{
    /// <summary>Bytes of the version 1 header.</summary>
    public const int Length = 9;

    /// <summary>A larger DataOffset is refused (nothing defines what lies between the header and the body).</summary>
    public const uint MaxDataOffset = 1024;

    public const byte AudioFlag = 0x04;
    public const byte VideoFlag = 0x01;

    public bool HasAudio { get; } = hasAudio;
    public bool HasVideo { get; } = hasVideo;

    /// <summary>Where the body (PreviousTagSize0) starts.</summary>
    public uint DataOffset { get; } = dataOffset;

    /// <summary>Parses the first 9 bytes; false on a wrong signature, version or DataOffset.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out FlvHeader header)
    {
        header = default;
        if (source.Length < Length || source[0] != (byte)'F' || source[1] != (byte)'L' || source[2] != (byte)'V' || source[3] != 1)
        {
            return false;
        }
        uint offset = BinaryPrimitives.ReadUInt32BigEndian(source[5..]);
        if (offset is < Length or > MaxDataOffset)
        {
            return false;
        }
        // Reserved flag bits are ignored: writers disagree about them and nothing depends on them.
        header = new FlvHeader((source[4] & AudioFlag) != 0, (source[4] & VideoFlag) != 0, offset);
        return true;
    }

    /// <summary>Writes the 9-byte header and PreviousTagSize0 (13 bytes); returns 13. Throws when the destination is too small.</summary>
    public int Write(Span<byte> destination)
    {
        if (destination.Length < Length + 4)
        {
            throw new ArgumentException("an FLV header needs 13 bytes", nameof(destination));
        }
        destination[0] = (byte)'F';
        destination[1] = (byte)'L';
        destination[2] = (byte)'V';
        destination[3] = 1;
        destination[4] = (byte)((HasAudio ? AudioFlag : 0) | (HasVideo ? VideoFlag : 0));
        BinaryPrimitives.WriteUInt32BigEndian(destination[5..], Length);
        BinaryPrimitives.WriteUInt32BigEndian(destination[Length..], 0);
        return Length + 4;
    }
}
