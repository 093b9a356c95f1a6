namespace Rtmfp.Flash;

/// <summary>Inputs of a <see cref="PublishedStream"/>, as plain messages (a sharded stream entity receives the same).</summary>
public abstract record StreamInput;

/// <summary>Become the stream's publisher; refused when another one is live (NetStream.Publish.BadName).</summary>
public sealed record StartPublish(PublisherId Publisher) : StreamInput;

/// <summary>The publisher stopped (closeStream, publish(false), deleteStream, disconnect).</summary>
public sealed record StopPublish(PublisherId Publisher) : StreamInput;

/// <summary>One message from the publisher.</summary>
public sealed record PublishFrame(PublisherId Publisher, MediaFrame Frame) : StreamInput;

public sealed record Subscribe(IStreamSubscriber Subscriber) : StreamInput;

public sealed record Unsubscribe(IStreamSubscriber Subscriber) : StreamInput;
