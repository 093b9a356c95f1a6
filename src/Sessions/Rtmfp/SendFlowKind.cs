using Rtmfp.Cluster;
namespace Rtmfp.Sessions.Rtmfp;

/// <summary>
/// Which of a stream's sending flows a message takes (RFC 7425 §5.3.5: any number of flows per stream;
/// like tcserver, one each for commands and data, audio, and video, so audio is not stuck behind video).
/// </summary>
public enum SendFlowKind : byte
{
    /// <summary>NetConnection (stream 0) or a stream's commands, status and data messages.</summary>
    Data,
    Audio,
    Video,
}
