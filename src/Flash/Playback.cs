namespace Rtmfp.Flash;

/// <summary>The subscriber a playing NetStream registers with a stream; one per play so stale events can be told apart.</summary>
internal sealed class Playback(NetStream stream) : IStreamSubscriber
{
    public NetStream Stream { get; } = stream;

    public void OnStreamEvent(StreamEvent streamEvent) => Stream.OnPlaybackEvent(this, streamEvent);
}
