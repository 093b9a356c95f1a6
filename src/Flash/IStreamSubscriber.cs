namespace Rtmfp.Flash;

/// <summary>
/// Receives a stream's events. In process it is the player's NetStream; in a cluster, a proxy that
/// forwards the events to the player's connection. Must not block: a slow player queues and drops.
/// </summary>
public interface IStreamSubscriber
{
    void OnStreamEvent(StreamEvent streamEvent);
}
