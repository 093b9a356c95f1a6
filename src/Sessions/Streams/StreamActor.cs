using Rtmfp.Cluster;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Rtmfp.Flash;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Sessions.Streams;

/// <summary>
/// The sharded entity of one stream name (entity ID from <see cref="StreamMessageExtractor"/>): a
/// <see cref="PublishedStream"/> whose subscribers are session actors. Every event is a Tell to the
/// subscriber's session, which queues and drops per player, so a slow player never holds back the
/// others or the publisher. Sessions are watched: a dead publisher unpublishes, dead players leave.
/// Idle entities passivate after an idle timeout (<see cref="DefaultIdleTimeout"/>); a stopping entity tells everyone involved,
/// so a message lost to the passivation race is re-sent by its session.
/// </summary>
public sealed class StreamActor : ReceiveActor, IWithTimers
{
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromSeconds(30);

    private sealed class IdleCheck
    {
        public static readonly IdleCheck Instance = new();
    }

    /// <summary>
    /// A subscribing session as a <see cref="IStreamSubscriber"/> (equal by session and subscription ID, so Unsubscribe
    /// finds it). Without a fan-out each event is told to the session; with one, it goes through the node's fan-out
    /// (<see cref="StreamNodes"/>): one message per node for what every subscriber gets, one for what only this one gets.
    /// </summary>
    private sealed class SessionSubscriber(IActorRef session, long subscriptionId, IActorRef? fanout, StreamNodes nodes)
        : IStreamSubscriber, IEquatable<SessionSubscriber>
    {
        public IActorRef Session { get; } = session;
        public long SubscriptionId { get; } = subscriptionId;
        public IActorRef? Fanout { get; } = fanout;

        public void OnStreamEvent(StreamEvent streamEvent)
        {
            if (Fanout is null)
            {
                Session.Tell(new StreamEventDelivery(SubscriptionId, streamEvent), ActorRefs.NoSender);
            }
            else
            {
                nodes.Deliver(Fanout, Session, SubscriptionId, streamEvent);
            }
        }

        public bool Equals(SessionSubscriber? other) =>
            other is not null && Session.Equals(other.Session) && SubscriptionId == other.SubscriptionId;

        public override bool Equals(object? obj) => Equals(obj as SessionSubscriber);

        public override int GetHashCode() => HashCode.Combine(Session, SubscriptionId);
    }

    private readonly PublishedStream _stream;
    private readonly List<SessionSubscriber> _subscribers = [];
    private IActorRef? _publisherSession;
    private readonly TimeSpan _idleTimeout;
    private bool _passivating;
    private readonly StreamTally _tally;
    private readonly StreamNodes _nodes;

    public StreamActor(string entityId) : this(entityId, DefaultIdleTimeout)
    {
    }

    public StreamActor(string entityId, TimeSpan idleTimeout, RtmfpMetrics? metrics = null, global::Rtmfp.Shared.Operations.NodeDirectory? directory = null)
    {
        _idleTimeout = idleTimeout;
        _stream = new PublishedStream(StreamMessageExtractor.KeyOf(entityId));
        _tally = new StreamTally(metrics, directory, _stream.Key.ToString());
        _nodes = new StreamNodes(_stream.Key);

        Receive<PublishStream>(OnPublish);
        Receive<UnpublishStream>(m =>
        {
            if (_stream.Publisher == m.Publisher)
            {
                _nodes.BeginBroadcast();
                _stream.Handle(new StopPublish(m.Publisher));
                _publisherSession = null;
            }
            CheckIdle();
        });
        Receive<PublishStreamFrame>(m =>
        {
            _nodes.BeginBroadcast();
            _stream.Handle(new PublishFrame(m.Publisher, m.Frame));
            _tally.Relayed(m.Frame.Message.Length, _subscribers.Count);
        });
        Receive<SubscribeStream>(m =>
        {
            var subscriber = new SessionSubscriber(m.Session, m.SubscriptionId, m.Fanout, _nodes);
            // First, so the session watches this entity before the first delivery (and again on a repeat).
            m.Session.Tell(new StreamSubscribed(_stream.Key, m.SubscriptionId), Self);
            if (!_subscribers.Contains(subscriber))
            {
                _subscribers.Add(subscriber);
                Context.Watch(m.Session);
                _nodes.Join(subscriber.Fanout, m.Session, m.SubscriptionId); // before what a late joiner gets first
                _stream.Handle(new Subscribe(subscriber));
            }
        });
        Receive<UnsubscribeStream>(m =>
        {
            int index = _subscribers.IndexOf(new SessionSubscriber(m.Session, m.SubscriptionId, null, _nodes));
            if (index >= 0)
            {
                var subscriber = _subscribers[index];
                _subscribers.RemoveAt(index);
                _nodes.Leave(subscriber.Fanout, subscriber.Session, subscriber.SubscriptionId);
                _stream.Handle(new Unsubscribe(subscriber));
                UnwatchIfUnused(m.Session);
            }
            CheckIdle();
        });
        Receive<QueryStreamLive>(_ => Sender.Tell(new StreamLiveReply(_stream.Key, _stream.IsLive)));
        Receive<Terminated>(t => OnSessionGone(t.ActorRef));
        Receive<IdleCheck>(_ =>
        {
            if (_stream.IsIdle && !_passivating)
            {
                _passivating = true;
                Context.Parent.Tell(new Passivate(PoisonPill.Instance));
            }
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public PublishedStream Stream => _stream;

    protected override void PreStart()
    {
        _tally.Started();
        CheckIdle();
    }

    /// <summary>Every message may change the publisher or players: the node's gauges follow (see <see cref="StreamTally"/>).</summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        bool handled = base.AroundReceive(receive, message);
        _nodes.EndBroadcast();
        _tally.Report(_stream.Publisher is null ? 0 : 1, _subscribers.Count);
        return handled;
    }

    private void OnPublish(PublishStream m)
    {
        using var trace = RtmfpTracing.Source.StartActivity("rtmfp.publish");
        _nodes.BeginBroadcast();
        bool accepted = _stream.Handle(new StartPublish(m.Publisher));
        trace?.SetTag("rtmfp.stream", _stream.Key.ToString());
        trace?.SetTag(MetricTags.Outcome, accepted ? "accepted" : "refused");
        if (accepted)
        {
            _publisherSession = m.Session;
            Context.Watch(m.Session);
        }
        Sender.Tell(new PublishStreamResult(m.Stream, m.Publisher, accepted, Self));
    }

    private void OnSessionGone(IActorRef session)
    {
        if (session.Equals(_publisherSession) && _stream.Publisher is { } publisher)
        {
            _stream.Handle(new StopPublish(publisher));
            _publisherSession = null;
        }
        for (int i = _subscribers.Count - 1; i >= 0; i--)
        {
            if (_subscribers[i].Session.Equals(session))
            {
                _nodes.Leave(_subscribers[i].Fanout, session, _subscribers[i].SubscriptionId);
                _stream.Handle(new Unsubscribe(_subscribers[i]));
                _subscribers.RemoveAt(i);
            }
        }
        CheckIdle();
    }

    private void UnwatchIfUnused(IActorRef session)
    {
        if (!session.Equals(_publisherSession) && !_subscribers.Exists(s => s.Session.Equals(session)))
        {
            Context.Unwatch(session);
        }
    }

    private void CheckIdle()
    {
        if (_stream.IsIdle)
        {
            Timers.StartSingleTimer("idle", IdleCheck.Instance, _idleTimeout);
        }
        else
        {
            Timers.Cancel("idle");
        }
    }

    protected override void PostStop()
    {
        // Whoever still counts on this entity re-sends its publish or subscribe to the next incarnation.
        var told = new HashSet<IActorRef>();
        if (_publisherSession is not null && told.Add(_publisherSession))
        {
            _publisherSession.Tell(new StreamEntityStopped(_stream.Key), ActorRefs.NoSender);
        }
        foreach (var s in _subscribers)
        {
            _nodes.Leave(s.Fanout, s.Session, s.SubscriptionId); // the next incarnation joins them again
            if (told.Add(s.Session))
            {
                s.Session.Tell(new StreamEntityStopped(_stream.Key), ActorRefs.NoSender);
            }
        }
        _tally.Stopped();
        base.PostStop();
    }
}
