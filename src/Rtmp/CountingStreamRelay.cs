using System.Collections.Concurrent;
using Rtmfp.Flash;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Rtmp;

/// <summary>
/// The connection's <see cref="IStreamRelay"/> seen through the publisher and player gauges: counts what this
/// connection publishes and plays as it passes, and takes its counts back when the connection ends.
/// </summary>
internal sealed class CountingStreamRelay(IStreamRelay inner, RtmpMetrics? metrics) : IStreamRelay
{
    // Accepted publishers are known off the connection's thread (the stream entity answers there).
    private readonly ConcurrentDictionary<PublisherId, byte> _publishing = new();
    private readonly HashSet<IStreamSubscriber> _playing = new(ReferenceEqualityComparer.Instance);

    public int Publishing => _publishing.Count;

    public int Playing => _playing.Count;

    public async ValueTask<bool> StartPublishAsync(StreamKey stream, StartPublish input)
    {
        bool accepted = await inner.StartPublishAsync(stream, input).ConfigureAwait(false);
        if (accepted && _publishing.TryAdd(input.Publisher, 0))
        {
            metrics?.PublishersChanged(1);
        }
        return accepted;
    }

    public void Tell(StreamKey stream, StreamInput input)
    {
        switch (input)
        {
            case PublishFrame:
                break; // the hot path: nothing to count
            case StopPublish stop when _publishing.TryRemove(stop.Publisher, out _):
                metrics?.PublishersChanged(-1);
                break;
            case Subscribe subscribe when _playing.Add(subscribe.Subscriber):
                metrics?.PlayersChanged(1);
                break;
            case Unsubscribe unsubscribe when _playing.Remove(unsubscribe.Subscriber):
                metrics?.PlayersChanged(-1);
                break;
        }
        inner.Tell(stream, input);
    }

    public ValueTask<bool> IsLiveAsync(StreamKey stream) => inner.IsLiveAsync(stream);

    /// <summary>The connection ended: whatever it still published or played no longer counts.</summary>
    public void Release()
    {
        foreach (var publisher in _publishing.Keys)
        {
            if (_publishing.TryRemove(publisher, out _))
            {
                metrics?.PublishersChanged(-1);
            }
        }
        metrics?.PlayersChanged(-_playing.Count);
        _playing.Clear();
    }
}
