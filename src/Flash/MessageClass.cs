namespace Rtmfp.Flash;

/// <summary>
/// What an outgoing RTMP message is, so the transport adapter can pick flows and priorities
/// (RFC 7425 §5.3.5: any number of flows per stream; audio, video and data usually on their own).
/// </summary>
public enum MessageClass : byte
{
    /// <summary>NetConnection commands, results and User Control events on stream 0.</summary>
    Control,
    /// <summary>NetStream status: onStatus and StreamBegin/StreamEOF on the stream's main flow.</summary>
    StreamStatus,
    /// <summary>Data messages (onMetaData, |RtmpSampleAccess, NetStream.send).</summary>
    Data,
    Audio,
    Video,
}
