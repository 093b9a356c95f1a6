using Akka.Actor;
using Rtmfp.Flash;

namespace Rtmfp.Cluster;

/// <summary>
/// The <see cref="IStreamRelay"/> of one session actor: stream inputs go to the sharded
/// <see cref="StreamActor"/> of their name, and the session's players subscribe under numeric IDs so that
/// events come back as <see cref="StreamEventDelivery"/> messages, which the session hands to
/// <see cref="Deliver"/>. Media is only ever told (no Ask on the media path); only the publish decision
/// and the liveness query wait for an answer. Driven by the session actor's thread only.
/// </summary>
public sealed class ClusterStreamRelay : IStreamRelay
{
    private readonly IActorRef _streams;
    private readonly IActorRef _session;
    private readonly TimeSpan _askTimeout;
    private readonly Dictionary<long, (StreamKey Stream, IStreamSubscriber Subscriber)> _subscriptions = [];
    private readonly Dictionary<IStreamSubscriber, long> _subscriptionIds = new(ReferenceEqualityComparer.Instance);
    /// <summary>What this session publishes, and the entity that accepted it once it answered (frames go there directly).</summary>
    private readonly Dictionary<PublisherId, (StreamKey Stream, IActorRef? Entity)> _publishing = [];
    private long _nextSubscriptionId = 1;
    /// <summary>The stream entities this session publishes to or is subscribed at, which its actor watches.</summary>
    private readonly Dictionary<IActorRef, StreamKey> _entities = [];
    /// <summary>Publishers and subscriptions sent again to a stream's next incarnation and not yet answered.</summary>
    private readonly HashSet<PublisherId> _republishing = [];
    private readonly HashSet<long> _resubscribing = [];
    /// <summary>This node's stream fan-out, named in every subscription (null: events come to the session one by one).</summary>
    private readonly IActorRef? _fanout;

    /// <summary>Re-registrations not yet answered: the session calls <see cref="RetryPending"/> until there are none.</summary>
    public bool HasPending => _republishing.Count > 0 || _resubscribing.Count > 0;

    public ClusterStreamRelay(IActorRef streamRegion, IActorRef session, TimeSpan? askTimeout = null, IActorRef? fanout = null)
    {
        _streams = streamRegion;
        _session = session;
        _fanout = fanout;
        _askTimeout = askTimeout ?? TimeSpan.FromSeconds(5);
    }

    public int SubscriptionCount => _subscriptions.Count;

    public async ValueTask<bool> StartPublishAsync(StreamKey stream, StartPublish input)
    {
        // Completes off the actor thread; NetConnection dispatches the continuation back to the actor.
        var result = await _streams.Ask<PublishStreamResult>(new PublishStream(stream, input.Publisher, _session), _askTimeout).ConfigureAwait(false);
        // The session learns the entity on its own thread (OnPublishResult), as it does after a re-publish.
        _session.Tell(result, ActorRefs.NoSender);
        return result.Accepted;
    }

    public async ValueTask<bool> IsLiveAsync(StreamKey stream)
    {
        var reply = await _streams.Ask<StreamLiveReply>(new QueryStreamLive(stream), _askTimeout).ConfigureAwait(false);
        return reply.IsLive;
    }

    public void Tell(StreamKey stream, StreamInput input)
    {
        switch (input)
        {
            case PublishFrame frame:
                // Remembered so a restarted entity can be told who publishes (see OnEntityStopped). Once the entity
                // answered, frames skip the shard region (no entity ID or shard lookup per frame).
                if (!_publishing.TryGetValue(frame.Publisher, out var publication))
                {
                    _publishing.Add(frame.Publisher, publication = (stream, null));
                }
                (publication.Entity ?? _streams).Tell(new PublishStreamFrame(stream, frame.Publisher, frame.Frame), _session);
                return;
            case StopPublish stop:
                // After the frames, on the same path as they went (direct once the entity answered).
                _publishing.Remove(stop.Publisher, out var stopped);
                (stopped.Entity ?? _streams).Tell(new UnpublishStream(stream, stop.Publisher), _session);
                return;
            case Subscribe subscribe:
                if (_subscriptionIds.ContainsKey(subscribe.Subscriber))
                {
                    return;
                }
                long id = _nextSubscriptionId++;
                _subscriptionIds.Add(subscribe.Subscriber, id);
                _subscriptions.Add(id, (stream, subscribe.Subscriber));
                _streams.Tell(new SubscribeStream(stream, _session, id, _fanout), _session);
                return;
            case Unsubscribe unsubscribe:
                if (_subscriptionIds.Remove(unsubscribe.Subscriber, out long sid))
                {
                    _subscriptions.Remove(sid);
                    _streams.Tell(new UnsubscribeStream(stream, _session, sid), _session);
                }
                return;
            case StartPublish start:
                _streams.Tell(new PublishStream(stream, start.Publisher, _session), _session);
                return;
        }
    }

    /// <summary>An event for one of this session's subscriptions; stale subscription IDs are ignored.</summary>
    public void Deliver(StreamEventDelivery delivery) => Deliver(delivery.SubscriptionId, delivery.Event);

    /// <summary>An event for one of this session's subscriptions from the node's fan-out (no message object per player).</summary>
    public void Deliver(long subscriptionId, StreamEvent streamEvent)
    {
        if (_subscriptions.TryGetValue(subscriptionId, out var entry))
        {
            entry.Subscriber.OnStreamEvent(streamEvent);
        }
    }

    /// <summary>A stream entity accepted (or refused) one of this session's publishers. True: watch the entity.</summary>
    public bool OnPublishResult(PublishStreamResult result)
    {
        _republishing.Remove(result.Publisher);
        if (result.Accepted)
        {
            _publishing[result.Publisher] = (result.Stream, result.Entity);
            return _entities.TryAdd(result.Entity, result.Stream);
        }
        return false;
    }

    /// <summary>A stream entity took one of this session's subscriptions. True: watch the entity.</summary>
    public bool OnSubscribed(IActorRef entity, StreamSubscribed subscribed)
    {
        _resubscribing.Remove(subscribed.SubscriptionId);
        return !entity.IsNobody() && _subscriptions.ContainsKey(subscribed.SubscriptionId) && _entities.TryAdd(entity, subscribed.Stream);
    }

    /// <summary>
    /// Sends unanswered re-registrations again. While a dead node's shards are re-homed the region still forwards to
    /// the dead region, so the first re-registration can be lost (issue 9). False when nothing is pending.
    /// </summary>
    public bool RetryPending()
    {
        foreach (var publisher in _republishing)
        {
            if (_publishing.TryGetValue(publisher, out var publication))
            {
                _streams.Tell(new PublishStream(publication.Stream, publisher, _session), _session);
            }
        }
        _republishing.RemoveWhere(p => !_publishing.ContainsKey(p));
        foreach (long id in _resubscribing)
        {
            if (_subscriptions.TryGetValue(id, out var entry))
            {
                _streams.Tell(new SubscribeStream(entry.Stream, _session, id, _fanout), _session);
            }
        }
        _resubscribing.RemoveWhere(id => !_subscriptions.ContainsKey(id));
        return HasPending;
    }

    /// <summary>
    /// A watched entity terminated: stopped on purpose (it also said <see cref="StreamEntityStopped"/>) or died with its
    /// node. Either way publish and subscribe again to its next incarnation; a repeat is harmless (both are idempotent).
    /// </summary>
    public void OnEntityTerminated(IActorRef entity)
    {
        if (_entities.Remove(entity, out var stream))
        {
            OnEntityStopped(stream);
        }
    }

    /// <summary>The entity of <paramref name="stream"/> stopped: publish and subscribe again to its next incarnation.</summary>
    public void OnEntityStopped(StreamKey stream)
    {
        string entity = StreamMessageExtractor.EntityIdOf(stream);
        foreach (var publisher in _publishing.Keys.ToArray())
        {
            var key = _publishing[publisher].Stream;
            if (StreamMessageExtractor.EntityIdOf(key) == entity)
            {
                // Through the region to its next incarnation, which answers with itself.
                _publishing[publisher] = (key, null);
                _republishing.Add(publisher);
                _streams.Tell(new PublishStream(key, publisher, _session), _session);
            }
        }
        foreach (var (id, entry) in _subscriptions)
        {
            if (StreamMessageExtractor.EntityIdOf(entry.Stream) == entity)
            {
                _resubscribing.Add(id);
                _streams.Tell(new SubscribeStream(entry.Stream, _session, id, _fanout), _session);
            }
        }
    }

    /// <summary>The session is going away: leave every stream (the entity also watches the session).</summary>
    public void LeaveAll()
    {
        foreach (var (publisher, (key, entity)) in _publishing)
        {
            (entity ?? _streams).Tell(new UnpublishStream(key, publisher), _session);
        }
        foreach (var (id, entry) in _subscriptions)
        {
            _streams.Tell(new UnsubscribeStream(entry.Stream, _session, id), _session);
        }
        _publishing.Clear();
        _subscriptions.Clear();
        _subscriptionIds.Clear();
        _entities.Clear();
        _republishing.Clear();
        _resubscribing.Clear();
    }
}
