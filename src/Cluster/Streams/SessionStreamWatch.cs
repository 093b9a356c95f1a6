using Akka.Actor;
using Rtmfp.Flash;

namespace Rtmfp.Cluster;

/// <summary>
/// A session's (or RTMP connection's) watch on the stream entities it publishes to and plays from (issue 9): each entity that answered is
/// watched, and when one stops, on purpose or with its node, the session publishes and subscribes again to the next
/// incarnation, every 2 s until that incarnation answered (while a dead node's shards are re-homed, the region still
/// forwards to the dead region and a first attempt can be lost). Driven by the session actor's thread only.
/// </summary>
public sealed class SessionStreamWatch(ClusterStreamRelay relay, ITimerScheduler timers, Func<IActorRef, IActorRef> watch)
{
    /// <summary>The session actor's periodic retry message.</summary>
    public sealed class Retry
    {
        public static readonly Retry Instance = new();
    }

    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(2);

    public void OnPublishResult(PublishStreamResult result)
    {
        if (relay.OnPublishResult(result))
        {
            watch(result.Entity);
        }
        UpdateRetry();
    }

    public void OnSubscribed(IActorRef entity, StreamSubscribed subscribed)
    {
        if (relay.OnSubscribed(entity, subscribed))
        {
            watch(entity);
        }
        UpdateRetry();
    }

    public void OnEntityStopped(StreamKey stream)
    {
        relay.OnEntityStopped(stream);
        UpdateRetry();
    }

    public void OnTerminated(IActorRef entity)
    {
        relay.OnEntityTerminated(entity);
        UpdateRetry();
    }

    public void OnRetry()
    {
        relay.RetryPending();
        UpdateRetry();
    }

    private void UpdateRetry()
    {
        if (!relay.HasPending)
        {
            timers.Cancel(nameof(Retry));
        }
        else if (!timers.IsTimerActive(nameof(Retry)))
        {
            timers.StartPeriodicTimer(nameof(Retry), Retry.Instance, RetryInterval);
        }
    }
}
