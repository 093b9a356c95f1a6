using System.Buffers;
using System.Buffers.Binary;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Client.Flash;

/// <summary>
/// Writes an FLV file (FLV v10.1 §E): the header and PreviousTagSize0 at construction, then tags, each followed by
/// its PreviousTagSize (11 + DataSize). <see cref="Write(FlashMessage)"/> records what a player receives.
/// </summary>
public sealed class FlvWriter : IDisposable
{
    /// <summary>DataSize is 24 bits.</summary>
    public const int MaxTagSize = 0xFFFFFF;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly byte[] _head = new byte[FlvReader.TagHeaderLength];
    private readonly ArrayBufferWriter<byte> _scratch = new();
    private readonly Amf0Writer _amf = new();

    public FlvWriter(Stream stream, bool hasAudio = true, bool hasVideo = true, bool leaveOpen = false)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        Span<byte> header = stackalloc byte[FlvHeader.Length + 4];
        new FlvHeader(hasAudio, hasVideo).Write(header);
        _stream.Write(header);
    }

    public long AudioTags { get; private set; }
    public long VideoTags { get; private set; }
    public long ScriptTags { get; private set; }

    /// <summary>Creates (or replaces) a file.</summary>
    public static FlvWriter Create(string path, bool hasAudio = true, bool hasVideo = true) =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 64 * 1024), hasAudio, hasVideo);

    /// <summary>Writes the 11-byte tag header (timestamp: low 24 bits, then the extended byte); returns 11.</summary>
    public static int WriteTagHeader(Span<byte> destination, FlvTagType type, uint timestamp, int dataSize)
    {
        if ((uint)dataSize > MaxTagSize)
        {
            throw new ArgumentOutOfRangeException(nameof(dataSize), "an FLV tag holds at most 16 MB - 1");
        }
        if (destination.Length < FlvReader.TagHeaderLength)
        {
            throw new ArgumentException("an FLV tag header needs 11 bytes", nameof(destination));
        }
        destination[0] = (byte)type;
        destination[1] = (byte)(dataSize >> 16);
        destination[2] = (byte)(dataSize >> 8);
        destination[3] = (byte)dataSize;
        destination[4] = (byte)(timestamp >> 16);
        destination[5] = (byte)(timestamp >> 8);
        destination[6] = (byte)timestamp;
        destination[7] = (byte)(timestamp >> 24);
        destination[8] = destination[9] = destination[10] = 0; // StreamID: always 0
        return FlvReader.TagHeaderLength;
    }

    public void WriteTag(FlvTagType type, uint timestamp, ReadOnlySpan<byte> data)
    {
        WriteTagHeader(_head, type, timestamp, data.Length);
        _stream.Write(_head);
        _stream.Write(data);
        Span<byte> previous = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(previous, (uint)(FlvReader.TagHeaderLength + data.Length));
        _stream.Write(previous);
        switch (type)
        {
            case FlvTagType.Audio: AudioTags++; break;
            case FlvTagType.Video: VideoTags++; break;
            case FlvTagType.ScriptData: ScriptTags++; break;
        }
    }

    /// <summary>A script data tag from a data message: <c>@setDataFrame, onMetaData, m</c> is stored as <c>onMetaData, m</c>.</summary>
    public void WriteData(DataMessage message, uint timestamp = 0)
    {
        var stored = message.WithoutSetDataFrame() ?? message;
        _scratch.ResetWrittenCount();
        stored.WritePayload(_scratch, _amf);
        WriteTag(FlvTagType.ScriptData, timestamp, _scratch.WrittenSpan);
    }

    /// <summary>
    /// Records one received message: audio and video as they came (payload and timestamp), data messages as script
    /// data (onMetaData and the like, its AMF0 bytes unchanged when no @setDataFrame wraps it). Returns false for what
    /// a file does not keep: commands, user control, <c>|RtmpSampleAccess</c> and other '|' handlers, undecodable data.
    /// </summary>
    public bool Write(FlashMessage message)
    {
        switch (message.Type)
        {
            case RtmpMessageType.Audio:
                WriteTag(FlvTagType.Audio, message.Timestamp, message.Payload.Span);
                return true;
            case RtmpMessageType.Video:
                WriteTag(FlvTagType.Video, message.Timestamp, message.Payload.Span);
                return true;
            case RtmpMessageType.DataAmf0 or RtmpMessageType.DataAmf3:
                if (message.Data is not { Handler: { } handler } data || handler.StartsWith('|')
                    || !RtmpMessage.TryGetAmfBody(message.Type, message.Payload.Span, out var body))
                {
                    return false;
                }
                if (handler == DataMessage.SetDataFrame)
                {
                    WriteData(data, message.Timestamp);
                }
                else if (handler != DataMessage.ClearDataFrame)
                {
                    WriteTag(FlvTagType.ScriptData, message.Timestamp, body);
                }
                return handler != DataMessage.ClearDataFrame;
            default:
                return false;
        }
    }

    public void Flush() => _stream.Flush();

    public void Dispose()
    {
        _stream.Flush();
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }
}
