using Rtmfp.Shared.Flash;

namespace Rtmfp.Client.Flash;

/// <summary>
/// Records a played stream into an FLV file with onMetaData at its head. Metadata travels on the NetStream's command
/// flow and media on flows of their own (RFC 7425 §5.1.1), so it may arrive a moment after the first audio or video:
/// media is held back until onMetaData comes (or <see cref="HoldLimit"/> messages wait), then written after it.
/// </summary>
public sealed class FlvRecorder(FlvWriter writer, int holdLimit = FlvRecorder.DefaultHoldLimit) : IDisposable
{
    /// <summary>About 3 s of 25 fps video with AAC audio: a stream without metadata is written after that many.</summary>
    public const int DefaultHoldLimit = 200;

    private readonly List<FlashMessage> _held = [];
    private bool _released;

    public FlvWriter Writer => writer;

    public int HoldLimit => holdLimit;

    public static FlvRecorder Create(string path) => new(FlvWriter.Create(path));

    /// <summary>Records one received message (see <see cref="FlvWriter.Write(FlashMessage)"/>); false for what a file does not keep.</summary>
    public bool Write(FlashMessage message)
    {
        if (_released)
        {
            return writer.Write(message);
        }
        if (message.Type is RtmpMessageType.Audio or RtmpMessageType.Video)
        {
            _held.Add(message);
            if (_held.Count >= holdLimit)
            {
                Release();
            }
            return true;
        }
        bool written = writer.Write(message);
        if (written && IsMetadata(message.Data))
        {
            Release();
        }
        return written;
    }

    /// <summary>Writes held media now (no onMetaData came).</summary>
    public void Release()
    {
        _released = true;
        foreach (var message in _held)
        {
            writer.Write(message);
        }
        _held.Clear();
    }

    public void Dispose()
    {
        Release();
        writer.Dispose();
    }

    private static bool IsMetadata(DataMessage? data) =>
        data is not null && (data.Handler == DataMessage.OnMetaData
            || data.Handler == DataMessage.SetDataFrame && data.Values.Count > 0 && data.Values[0].AsString == DataMessage.OnMetaData);
}
