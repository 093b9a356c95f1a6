using Rtmfp.Cluster;
using Rtmfp.Flash;

namespace Rtmfp.Sessions.Streams;

/// <summary>
/// The node fan-out's freshness check (docs/decisions.md, "Stream fan-out"): droppable media that is older than its
/// lifetime when the fan-out reaches it (<see cref="MediaFrame.Age"/>: an overloaded node's backlog) is dropped once for
/// all of the node's players instead of being handed to each of them late. A dropped video frame holds that stream's
/// video back until its next keyframe, as a player's own queue does (Flash's <c>StreamSendQueue</c>): later inter frames
/// would not decode.
/// Notifications, metadata and codec configurations always pass. Per event, not per player; the fan-out's thread only.
/// </summary>
internal sealed class StaleMediaFilter(TimeSpan audioLifetime, TimeSpan videoLifetime)
{
    private readonly long _audioLifetimeMs = (long)audioLifetime.TotalMilliseconds;
    private readonly long _videoLifetimeMs = (long)videoLifetime.TotalMilliseconds;
    private readonly HashSet<StreamKey> _waitingForKeyframe = [];
    private long _staleDrops;
    private long _gatedDrops;

    public TimeSpan AudioLifetime => audioLifetime;

    public TimeSpan VideoLifetime => videoLifetime;

    /// <summary>Media frames dropped because they were older than their lifetime when the fan-out reached them.</summary>
    public long StaleDrops => Interlocked.Read(ref _staleDrops);

    /// <summary>Inter frames dropped while their stream waited for a keyframe after a stale video frame.</summary>
    public long GatedDrops => Interlocked.Read(ref _gatedDrops);

    /// <summary>
    /// Whether the fan-out hands <paramref name="streamEvent"/> of <paramref name="stream"/> on, <paramref name="ageMs"/>
    /// after it reached the node; when not, <paramref name="stale"/> says whether for its age or for the keyframe wait.
    /// </summary>
    public bool Admits(StreamKey stream, StreamEvent streamEvent, long ageMs, out bool stale)
    {
        stale = false;
        if (streamEvent is not MediaFrame { IsDroppable: true } frame)
        {
            return true;
        }
        if (ageMs > (frame.IsAudio ? _audioLifetimeMs : _videoLifetimeMs))
        {
            if (frame.IsVideo)
            {
                _waitingForKeyframe.Add(stream);
            }
            Interlocked.Increment(ref _staleDrops);
            stale = true;
            return false;
        }
        if (frame.IsAudio)
        {
            return true;
        }
        if (frame.Kind == MediaFrameKind.VideoKeyframe)
        {
            _waitingForKeyframe.Remove(stream);
            return true;
        }
        if (_waitingForKeyframe.Contains(stream))
        {
            Interlocked.Increment(ref _gatedDrops);
            return false;
        }
        return true;
    }

    /// <summary>The node has no more players of the stream.</summary>
    public void Forget(StreamKey stream) => _waitingForKeyframe.Remove(stream);
}
