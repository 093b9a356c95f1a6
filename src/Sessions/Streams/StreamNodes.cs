using Akka.Actor;
using Rtmfp.Cluster;
using Rtmfp.Flash;

namespace Rtmfp.Sessions.Streams;

/// <summary>
/// The nodes a stream entity's players are on, by the stream fan-out of each node (docs/decisions.md, "Stream fan-out"):
/// an event every subscriber gets (a media frame, a publish or unpublish notification) goes to each node's fan-out once,
/// however many players that node has; an event for one subscriber (what a late joiner gets first) goes to its node's
/// fan-out naming it. Joins and leaves go the same way first, so each fan-out knows exactly the subscriptions this entity
/// has on its node, in this entity's order. Used on the entity's thread only.
/// </summary>
internal sealed class StreamNodes(StreamKey stream)
{
    /// <summary>Subscriptions per node fan-out, and the broadcast it was last told.</summary>
    private sealed class Node
    {
        public int Subscriptions;
        public long ToldBroadcast;
    }

    private readonly Dictionary<IActorRef, Node> _nodes = [];
    private long _broadcast;
    private bool _broadcasting;

    /// <summary>Nodes with at least one subscription through their fan-out.</summary>
    public int Count => _nodes.Count;

    /// <summary>Node messages sent for broadcast events since the entity started (each is one per node per event).</summary>
    public long BroadcastMessages { get; private set; }

    /// <summary>Until <see cref="EndBroadcast"/>, events reach each node once, for all its subscriptions.</summary>
    public void BeginBroadcast()
    {
        _broadcast++;
        _broadcasting = true;
    }

    public void EndBroadcast() => _broadcasting = false;

    public void Join(IActorRef? fanout, IActorRef session, long subscriptionId)
    {
        if (fanout is null)
        {
            return;
        }
        if (!_nodes.TryGetValue(fanout, out var node))
        {
            _nodes.Add(fanout, node = new Node());
        }
        node.Subscriptions++;
        fanout.Tell(new StreamNodeJoin(stream, session, subscriptionId), ActorRefs.NoSender);
    }

    public void Leave(IActorRef? fanout, IActorRef session, long subscriptionId)
    {
        if (fanout is null || !_nodes.TryGetValue(fanout, out var node))
        {
            return;
        }
        fanout.Tell(new StreamNodeLeave(stream, session, subscriptionId), ActorRefs.NoSender);
        if (--node.Subscriptions == 0)
        {
            _nodes.Remove(fanout);
        }
    }

    /// <summary>One subscriber's share of an event: the node's one message while broadcasting, its own message otherwise.</summary>
    public void Deliver(IActorRef fanout, IActorRef session, long subscriptionId, StreamEvent streamEvent)
    {
        if (!_broadcasting)
        {
            fanout.Tell(new StreamNodeEvent(stream, streamEvent, session, subscriptionId), ActorRefs.NoSender);
            return;
        }
        if (_nodes.TryGetValue(fanout, out var node) && node.ToldBroadcast != _broadcast)
        {
            node.ToldBroadcast = _broadcast;
            BroadcastMessages++;
            fanout.Tell(new StreamNodeEvent(stream, streamEvent), ActorRefs.NoSender);
        }
    }
}
