using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Event;
using Rtmfp.Cluster;
using Rtmfp.Flash;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Sessions.Streams;

/// <summary>
/// The node's stream fan-out: its actor (<see cref="Hub"/>) and the <see cref="StreamPort"/> of every local session that
/// plays, by session actor. Sessions register when their Flash services start and leave when they stop.
/// </summary>
internal sealed class StreamFanout
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ActorSystem, StreamFanout> Nodes = new();
    private readonly ConcurrentDictionary<IActorRef, StreamPort> _ports = new();
    private long _nodeEvents;
    private long _direct;
    private long _queued;
    private long _acknowledgementsTaken;

    /// <summary>Media the fan-out drops when it reaches it stale (an overloaded node), with the players' lifetimes.</summary>
    public StaleMediaFilter Freshness { get; init; } = new(NetConnectionOptions.Default.AudioLifetime, NetConnectionOptions.Default.VideoLifetime);

    /// <summary>Where its drops are counted (rtmfp.stream.media.dropped); none in tests that do not ask.</summary>
    public RtmfpMetrics? Metrics { get; init; }

    /// <summary>The fan-out actor, once the actor system started it (null before: sessions relay one by one).</summary>
    public IActorRef? Hub { get; set; }

    /// <summary>Stream events this node's fan-out received (one per stream event for the whole node, or one for a late joiner).</summary>
    public long NodeEvents => Interlocked.Read(ref _nodeEvents);

    /// <summary>Deliveries sent on the fan-out's own thread, in its loop.</summary>
    public long Direct => Interlocked.Read(ref _direct);

    /// <summary>Deliveries left to a busy session's actor.</summary>
    public long Queued => Interlocked.Read(ref _queued);

    /// <summary>Acknowledgement-only packets the node's sessions took on the gateway's receive thread (SessionActor.DirectInbound).</summary>
    public long AcknowledgementsTaken => Interlocked.Read(ref _acknowledgementsTaken);

    internal void CountAcknowledgementTaken() => Interlocked.Increment(ref _acknowledgementsTaken);

    /// <summary>The fan-out of the node whose actor system this is, once started (tests, diagnostics).</summary>
    public static StreamFanout? Of(ActorSystem system) => Nodes.TryGetValue(system, out var fanout) ? fanout : null;

    /// <summary>
    /// The fan-out's dispatcher: the thread pool, one event per turn. A pass over a node's players takes milliseconds;
    /// at Akka's default (30 messages a turn) a backlog of events held the pool for hundreds of milliseconds while the
    /// publisher's session and the stream entity, which bring the next frames, waited behind it.
    /// </summary>
    public const string DispatcherId = "rtmfp-stream-fanout-dispatcher";

    public const string DispatcherHocon = DispatcherId + " { type = Dispatcher, throughput = 1 }";

    /// <summary>Starts the node's fan-out actor.</summary>
    public void Start(ActorSystem system)
    {
        Hub = system.ActorOf(Props.Create(() => new StreamFanoutActor(this)).WithDispatcher(DispatcherId), "stream-fanout");
        Nodes.AddOrUpdate(system, this);
    }

    public void Register(StreamPort port) => _ports[port.Session] = port;

    public void Unregister(StreamPort port)
    {
        if (_ports.TryRemove(new KeyValuePair<IActorRef, StreamPort>(port.Session, port)))
        {
            Hub?.Tell(new StreamFanoutActor.PortClosed(port), ActorRefs.NoSender);
        }
    }

    public StreamPort? Find(IActorRef session) => _ports.GetValueOrDefault(session);

    internal void Count(long direct, long queued)
    {
        Interlocked.Increment(ref _nodeEvents);
        Interlocked.Add(ref _direct, direct);
        Interlocked.Add(ref _queued, queued);
    }
}

/// <summary>
/// One per node: mirrors, per stream, the subscriptions that stream's entity has on this node (<see cref="StreamNodeJoin"/>,
/// <see cref="StreamNodeLeave"/>), and hands each <see cref="StreamNodeEvent"/> to every one of them in one loop through their
/// sessions' <see cref="StreamPort"/>s: a frame crosses to the node once, and no actor message is made per player.
/// </summary>
internal sealed class StreamFanoutActor : ReceiveActor
{
    internal sealed record PortClosed(StreamPort Port);

    private readonly record struct Subscription(StreamPort Port, long Id);

    private readonly StreamFanout _fanout;
    private readonly Dictionary<StreamKey, List<Subscription>> _streams = [];

    public StreamFanoutActor(StreamFanout fanout)
    {
        _fanout = fanout;
        Receive<StreamNodeEvent>(OnEvent);
        Receive<StreamNodeJoin>(m =>
        {
            if (_fanout.Find(m.Session) is not { } port)
            {
                return; // the session stopped meanwhile; its entity hears of it by its watch
            }
            if (!_streams.TryGetValue(m.Stream, out var list))
            {
                _streams.Add(m.Stream, list = []);
            }
            var subscription = new Subscription(port, m.SubscriptionId);
            if (!list.Contains(subscription))
            {
                list.Add(subscription);
            }
        });
        Receive<StreamNodeLeave>(m =>
        {
            if (_streams.TryGetValue(m.Stream, out var list))
            {
                list.RemoveAll(s => s.Id == m.SubscriptionId && s.Port.Session.Equals(m.Session));
                if (list.Count == 0)
                {
                    _streams.Remove(m.Stream);
                    _fanout.Freshness.Forget(m.Stream);
                }
            }
        });
        Receive<PortClosed>(OnPortClosed);
    }

    protected override void PostStop()
    {
        // The node's end: where its players' share of each event went (bench/fanout.sh prints this line).
        Context.GetLogger().Info("stream fan-out: {0} node events, {1} deliveries in its loop, {2} left to busy sessions, {3} acknowledgement packets taken on the receive thread, {4} stale media frames and {5} inter frames after them dropped for the node; {6}",
            new object[] { _fanout.NodeEvents, _fanout.Direct, _fanout.Queued, _fanout.AcknowledgementsTaken, _fanout.Freshness.StaleDrops,
                _fanout.Freshness.GatedDrops, FanoutProfile.Describe() });
        base.PostStop();
    }

    private void OnPortClosed(PortClosed m)
    {
        foreach (var (key, list) in _streams.ToArray())
        {
            list.RemoveAll(s => ReferenceEquals(s.Port, m.Port));
            if (list.Count == 0)
            {
                _streams.Remove(key);
                _fanout.Freshness.Forget(key);
            }
        }
    }

    /// <summary>The tight loop: per player one offer (deliver, build, encrypt, send on this thread when its session is idle).</summary>
    private void OnEvent(StreamNodeEvent m)
    {
        if (!_streams.TryGetValue(m.Stream, out var list))
        {
            _fanout.Count(0, 0);
            return;
        }
        // Behind by more than the media's lifetime: drop it once here rather than hand it to every player late.
        if (m.Session is null && m.Event is MediaFrame frame
            && !_fanout.Freshness.Admits(m.Stream, frame, (long)frame.Age.TotalMilliseconds, out bool stale))
        {
            _fanout.Metrics?.MediaDropped.Add(1, stale ? MediaDropReasons.Stale : MediaDropReasons.WaitingForKeyframe);
            _fanout.Count(0, 0);
            return;
        }
        long direct = 0, queued = 0;
        FanoutProfile.OnEvent();
        // The players' bursts leave together at the end of the pass, up to 64 per system call (SendDeferral).
        SendDeferral.Open();
        try
        {
            for (int i = 0; i < list.Count; i++)
            {
                var s = list[i];
                if (m.Session is not null && (s.Id != m.SubscriptionId || !s.Port.Session.Equals(m.Session)))
                {
                    continue;
                }
                if (s.Port.Offer(s.Id, m.Event))
                {
                    direct++;
                }
                else
                {
                    queued++;
                }
            }
        }
        finally
        {
            FanoutProfile.Begin();
            SendDeferral.Close();
            FanoutProfile.EndPassSend();
        }
        _fanout.Count(direct, queued);
    }
}
