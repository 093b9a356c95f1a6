namespace Rtmfp.Shared.Flash;

/// <summary>
/// Which sending flow of a NetConnection or NetStream carries a message (RFC 7425 §5.3.5: a stream may use any number
/// of flows). Server and client alike open one flow for the NetConnection (stream 0) and, per stream, one for
/// commands and data, one for audio and one for video, so that audio is never stuck behind video.
/// </summary>
public enum StreamFlowKind : byte
{
    /// <summary>The NetConnection's flow (stream 0): commands, status, user control events.</summary>
    Control,

    /// <summary>A stream's commands, status and data messages.</summary>
    Data,

    Audio,

    Video,
}

/// <summary>How the engine treats each kind of flow, the same at both ends.</summary>
public static class StreamFlows
{
    /// <summary>
    /// Send priority (RFC 7016 §3.6.2.1 leaves it to the application): the NetConnection first, then data and audio,
    /// video last, so a keyframe never delays a command or the sound.
    /// </summary>
    public static int Priority(StreamFlowKind kind) => kind switch
    {
        StreamFlowKind.Control => 3,
        StreamFlowKind.Data => 2,
        StreamFlowKind.Audio => 2,
        _ => 1,
    };

    /// <summary>Media flows are time critical (RFC 7016 §3.5.4.1: their sessions get precedence in congestion control).</summary>
    public static bool IsTimeCritical(StreamFlowKind kind) => kind is StreamFlowKind.Audio or StreamFlowKind.Video;
}
