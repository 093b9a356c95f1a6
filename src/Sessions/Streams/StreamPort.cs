using System.Collections.Concurrent;
using Akka.Actor;
using Rtmfp.Flash;

namespace Rtmfp.Sessions.Streams;

/// <summary>What a <see cref="StreamPort"/> drains into: the session that owns the engine state behind it.</summary>
internal interface IStreamPortOwner
{
    /// <summary>
    /// Called on the fan-out's thread while it holds <see cref="StreamPort.Gate"/>: deliver what the port holds, build,
    /// encrypt and send the packets it produced. False when the session's own actor must finish the work (a timer to
    /// re-arm, a record to write first, a session closing): the port then wakes the actor.
    /// </summary>
    bool TryDrainDirect(StreamPort port);
}

/// <summary>The message that makes a session actor drain its <see cref="StreamPort"/> itself.</summary>
internal sealed class StreamPortWake
{
    public static readonly StreamPortWake Instance = new();
}

/// <summary>
/// One session's entrance for stream events from its node's fan-out (docs/decisions.md, "Stream fan-out"). The session's
/// engine state is guarded by <see cref="Gate"/>: its actor holds the gate while it handles any message, and the
/// fan-out takes it only with <see cref="Monitor.TryEnter(object)"/>, never waiting. Free: the fan-out delivers and sends
/// on its own thread, in its loop over the node's players. Taken: the event stays queued here and the actor, which checks
/// the queue each time it lets go of the gate, is woken by one <see cref="StreamPortWake"/> however many events wait.
/// </summary>
internal sealed class StreamPort(IActorRef session, IStreamPortOwner owner)
{
    private readonly ConcurrentQueue<(long SubscriptionId, StreamEvent Event)> _queue = new();
    private int _wakeSent;

    public object Gate { get; } = new();

    public IActorRef Session { get; } = session;

    public bool HasQueued => !_queue.IsEmpty;

    /// <summary>From the fan-out's thread. True when the event went out on this thread (the tight loop), false when queued for the actor.</summary>
    public bool Offer(long subscriptionId, StreamEvent streamEvent)
    {
        _queue.Enqueue((subscriptionId, streamEvent));
        if (!Monitor.TryEnter(Gate))
        {
            return false; // the actor runs and looks at the queue once it lets go
        }
        bool done;
        try
        {
            done = owner.TryDrainDirect(this);
        }
        finally
        {
            Monitor.Exit(Gate);
        }
        if (!done || HasQueued)
        {
            Wake();
        }
        return done;
    }

    /// <summary>Under the gate: the next queued event.</summary>
    public bool TryTake(out long subscriptionId, out StreamEvent streamEvent)
    {
        if (_queue.TryDequeue(out var item))
        {
            (subscriptionId, streamEvent) = item;
            return true;
        }
        subscriptionId = 0;
        streamEvent = null!;
        return false;
    }

    /// <summary>Tells the session actor to drain, unless a wake-up is already on its way.</summary>
    public void Wake()
    {
        if (Interlocked.Exchange(ref _wakeSent, 1) == 0)
        {
            Session.Tell(StreamPortWake.Instance, ActorRefs.NoSender);
        }
    }

    /// <summary>The actor took its wake-up: the next one must be sent again.</summary>
    public void Woken() => Volatile.Write(ref _wakeSent, 0);

    /// <summary>The session stops: what is queued is dropped (its engine is gone).</summary>
    public void Clear() => _queue.Clear();
}
