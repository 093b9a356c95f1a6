namespace Rtmfp.Flash;

/// <summary>
/// In-process <see cref="IStreamRelay"/>: a table of <see cref="PublishedStream"/>s, created on first
/// use and forgotten when idle. Not thread-safe: drive it from one thread (or one actor).
/// </summary>
public sealed class StreamRelay : IStreamRelay
{
    private readonly Dictionary<StreamKey, PublishedStream> _streams = [];

    public int Count => _streams.Count;

    public PublishedStream? Find(StreamKey stream) => _streams.GetValueOrDefault(stream);

    public ValueTask<bool> StartPublishAsync(StreamKey stream, StartPublish input) => new(GetOrAdd(stream).Handle(input));

    public void Tell(StreamKey stream, StreamInput input)
    {
        switch (input)
        {
            case PublishFrame frame:
                if (_streams.TryGetValue(stream, out var live))
                {
                    live.Handle(frame);
                }
                return;
            case Subscribe subscribe:
                GetOrAdd(stream).Handle(subscribe);
                return;
            case StopPublish stop:
                if (_streams.TryGetValue(stream, out var published))
                {
                    published.Handle(stop);
                    ForgetIfIdle(published);
                }
                return;
            case Unsubscribe unsubscribe:
                if (_streams.TryGetValue(stream, out var watched))
                {
                    watched.Handle(unsubscribe);
                    ForgetIfIdle(watched);
                }
                return;
            case StartPublish start:
                GetOrAdd(stream).Handle(start);
                return;
        }
    }

    public ValueTask<bool> IsLiveAsync(StreamKey stream) => new(_streams.TryGetValue(stream, out var s) && s.IsLive);

    private PublishedStream GetOrAdd(StreamKey stream)
    {
        if (!_streams.TryGetValue(stream, out var s))
        {
            s = new PublishedStream(stream);
            _streams.Add(stream, s);
        }
        return s;
    }

    private void ForgetIfIdle(PublishedStream stream)
    {
        if (stream.IsIdle)
        {
            _streams.Remove(stream.Key);
        }
    }
}
