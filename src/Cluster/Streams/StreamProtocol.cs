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

/// <summary>Adds a subscriber: events come back as <see cref="StreamEventDelivery"/> to <paramref name="Session"/> (watched).</summary>
public sealed record SubscribeStream(StreamKey Stream, IActorRef Session, long SubscriptionId) : IStreamMessage;

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

/// <summary>Akka.Hosting registry key of the stream shard region.</summary>
public sealed class StreamRegion;
