namespace Rtmfp.Client.Flash;

/// <summary>
/// One FLV tag (FLV v10.1 §E.4.1): its type, 32-bit timestamp in ms (24 bits + the extended byte) and body (an audio
/// or video tag as RTMP carries it, or AMF0 script data). <see cref="FlvReader"/>'s tags borrow its buffer: the data
/// is valid until its next read.
/// </summary>
public readonly struct FlvTag(FlvTagType type, uint timestamp, ReadOnlyMemory<byte> data)
{
    public FlvTagType Type { get; } = type;
    public uint Timestamp { get; } = timestamp;
    public ReadOnlyMemory<byte> Data { get; } = data;

    public override string ToString() => $"{Type} @{Timestamp} ({Data.Length} bytes)";
}
