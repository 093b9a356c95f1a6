using Akka.Actor;
using Rtmfp.Flash;

namespace Rtmfp.Cluster;

// Messages between session actors and the sharded stream entity of a StreamKey (a PublishedStream).
// Media goes by Tell only; within a node the MediaFrame buffers are shared by reference.

/// <summary>A message for the stream entity of <see cref="Stream"/>.</summary>
internal interface IStreamMessage
{
    StreamKey Stream { get; }
}

/// <summary>Become the publisher; answered with <see cref="PublishStreamResult"/>. <paramref name="Session"/> is watched.</summary>
public sealed record PublishStream(StreamKey Stream, PublisherId Publisher, IActorRef Session) : IStreamMessage;

/// <summary>
/// The entity's answer to <see cref="PublishStream"/>. <paramref name="Entity"/> is the stream entity itself: an
/// accepted publisher sends its frames there directly, not through the shard region, until the entity stops.
/// </summary>
public sealed record PublishStreamResult(StreamKey Stream, PublisherId Publisher, bool Accepted, IActorRef Entity);

public sealed record UnpublishStream(StreamKey Stream, PublisherId Publisher) : IStreamMessage;

public sealed record PublishStreamFrame(StreamKey Stream, PublisherId Publisher, MediaFrame Frame) : IStreamMessage;

/// <summary>
/// Adds a subscriber: events come back as <see cref="StreamEventDelivery"/> to <paramref name="Session"/> (watched), or,
/// with <paramref name="Fanout"/> (the stream fan-out of the session's node), through that fan-out: one
/// <see cref="StreamNodeEvent"/> per node and event, however many players the node has (docs/decisions.md, "Stream fan-out").
/// </summary>
public sealed record SubscribeStream(StreamKey Stream, IActorRef Session, long SubscriptionId, IActorRef? Fanout = null) : IStreamMessage;

public sealed record UnsubscribeStream(StreamKey Stream, IActorRef Session, long SubscriptionId) : IStreamMessage;

/// <summary>Is a publisher live? Answered with <see cref="StreamLiveReply"/>.</summary>
public sealed record QueryStreamLive(StreamKey Stream) : IStreamMessage;

public sealed record StreamLiveReply(StreamKey Stream, bool IsLive);

/// <summary>One stream event for one subscription of the receiving session.</summary>
public sealed record StreamEventDelivery(long SubscriptionId, StreamEvent Event);

/// <summary>
/// The stream entity stopped (passivation race, hand-off): its publisher and subscribers are forgotten,
/// so the session publishes or subscribes again.
/// </summary>
public sealed record StreamEntityStopped(StreamKey Stream);

/// <summary>
/// The stream entity (the sender) took a subscription: the session watches it, so that if the entity's node dies the
/// session subscribes again to its next incarnation (issue 9), as it does on <see cref="StreamEntityStopped"/>.
/// </summary>
public sealed record StreamSubscribed(StreamKey Stream, long SubscriptionId);

/// <summary>The stream entity tells a node's fan-out: deliver this stream's events to this subscription of a local session from now on.</summary>
public sealed record StreamNodeJoin(StreamKey Stream, IActorRef Session, long SubscriptionId);

/// <summary>The subscription left the stream (or its entity stopped): the node's fan-out forgets it.</summary>
public sealed record StreamNodeLeave(StreamKey Stream, IActorRef Session, long SubscriptionId);

/// <summary>
/// One stream event for a node's fan-out. Without <paramref name="Session"/>: for every subscription of the stream that
/// fan-out holds (media, publish and unpublish notifications: one message per node, not per player). With it: for that
/// one subscription (what a late joiner gets first). Sent after the <see cref="StreamNodeJoin"/> on the same path, so a
/// node's fan-out sees joins, leaves and events in the entity's order.
/// </summary>
public sealed record StreamNodeEvent(StreamKey Stream, StreamEvent Event, IActorRef? Session = null, long SubscriptionId = 0);

/// <summary>Akka.Hosting registry key of the stream shard region.</summary>
public sealed class StreamRegion;
