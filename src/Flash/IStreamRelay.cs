namespace Rtmfp.Flash;

/// <summary>
/// Where a connection sends stream inputs. In process: <see cref="StreamRelay"/>; in a cluster: a
/// sharded entity per <see cref="StreamKey"/> that wraps a <see cref="PublishedStream"/>.
/// </summary>
public interface IStreamRelay
{
    /// <summary>Asks to become the publisher; false when the name is already live.</summary>
    ValueTask<bool> StartPublishAsync(StreamKey stream, StartPublish input);

    /// <summary>Fire-and-forget inputs: <see cref="StopPublish"/>, <see cref="PublishFrame"/>, <see cref="Subscribe"/>, <see cref="Unsubscribe"/>.</summary>
    void Tell(StreamKey stream, StreamInput input);

    /// <summary>Whether a publisher is live now (for the StreamNotFound policy).</summary>
    ValueTask<bool> IsLiveAsync(StreamKey stream);
}
