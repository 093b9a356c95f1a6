namespace Rtmfp.Flash;

/// <summary>What a <see cref="PublishedStream"/> tells its subscribers: plain messages, so they can cross actors and nodes.</summary>
public abstract class StreamEvent
{
    private protected StreamEvent()
    {
    }
}

/// <summary>A publisher started (or was already live when the subscriber joined): NetStream.Play.PublishNotify.</summary>
public sealed class PublishNotify(StreamKey stream) : StreamEvent
{
    public StreamKey Stream { get; } = stream;
}

/// <summary>The publisher stopped: NetStream.Play.UnpublishNotify. Subscribers stay and wait for the next one.</summary>
public sealed class UnpublishNotify(StreamKey stream) : StreamEvent
{
    public StreamKey Stream { get; } = stream;
}
