namespace Rtmfp.Flash;

/// <summary>
/// One stream name: at most one publisher, any number of subscribers, and what a late joiner needs
/// first (data frames such as onMetaData, audio and video configuration: a decoder cannot start without them). Media is
/// handed to every subscriber as the same <see cref="MediaFrame"/>; subscribers queue and drop on
/// their own, so a slow one never holds the others back. Single-threaded: the owner serializes inputs.
/// </summary>
public sealed class PublishedStream
{
    private readonly List<IStreamSubscriber> _subscribers = [];
    private readonly List<MediaFrame> _dataFrames = [];
    private MediaFrame? _audioConfig;
    private MediaFrame? _videoConfig;

    public PublishedStream(StreamKey key) => Key = key;

    public StreamKey Key { get; }
    public PublisherId? Publisher { get; private set; }
    public bool IsLive => Publisher is not null;
    public int SubscriberCount => _subscribers.Count;

    /// <summary>Nothing live and nobody waiting: the owner may forget this stream.</summary>
    public bool IsIdle => Publisher is null && _subscribers.Count == 0;

    /// <summary>Cached frames in the order a joining subscriber gets them.</summary>
    public IEnumerable<MediaFrame> CachedFrames
    {
        get
        {
            foreach (var f in _dataFrames)
            {
                yield return f;
            }
            if (_audioConfig is not null)
            {
                yield return _audioConfig;
            }
            if (_videoConfig is not null)
            {
                yield return _videoConfig;
            }
        }
    }

    /// <summary>Returns false when another publisher is live. A repeated start by the same publisher is accepted.</summary>
    public bool Handle(StartPublish input)
    {
        if (Publisher is { } current)
        {
            return current == input.Publisher;
        }
        Publisher = input.Publisher;
        ClearCache();
        var notify = new PublishNotify(Key);
        for (int i = 0; i < _subscribers.Count; i++)
        {
            _subscribers[i].OnStreamEvent(notify);
        }
        return true;
    }

    public void Handle(StopPublish input)
    {
        if (Publisher != input.Publisher)
        {
            return;
        }
        Publisher = null;
        ClearCache();
        var notify = new UnpublishNotify(Key);
        for (int i = 0; i < _subscribers.Count; i++)
        {
            _subscribers[i].OnStreamEvent(notify);
        }
    }

    public void Handle(PublishFrame input)
    {
        if (Publisher != input.Publisher)
        {
            return;
        }
        var frame = input.Frame;
        switch (frame.Kind)
        {
            case MediaFrameKind.AudioConfig:
                _audioConfig = frame;
                break;
            case MediaFrameKind.VideoConfig:
                _videoConfig = frame;
                break;
            case MediaFrameKind.Audio:
                // A codec change makes the cached configuration meaningless.
                if (_audioConfig is not null && frame.Codec != 0 && frame.Codec != _audioConfig.Codec)
                {
                    _audioConfig = null;
                }
                break;
            case MediaFrameKind.VideoKeyframe:
            case MediaFrameKind.VideoInter:
                if (_videoConfig is not null && frame.Codec != 0 && frame.Codec != _videoConfig.Codec)
                {
                    _videoConfig = null;
                }
                break;
            case MediaFrameKind.DataFrame:
                SetDataFrame(frame);
                break;
            case MediaFrameKind.ClearDataFrame:
                // tcserver: drop the stored frame and do not forward.
                _dataFrames.RemoveAll(f => f.Handler == frame.Handler);
                return;
        }
        for (int i = 0; i < _subscribers.Count; i++)
        {
            _subscribers[i].OnStreamEvent(frame);
        }
    }

    /// <summary>Adds a subscriber; when live it gets PublishNotify and the cached frames at once.</summary>
    public void Handle(Subscribe input)
    {
        if (_subscribers.Contains(input.Subscriber))
        {
            return;
        }
        _subscribers.Add(input.Subscriber);
        if (!IsLive)
        {
            return;
        }
        input.Subscriber.OnStreamEvent(new PublishNotify(Key));
        foreach (var frame in CachedFrames)
        {
            input.Subscriber.OnStreamEvent(frame);
        }
    }

    public void Handle(Unsubscribe input) => _subscribers.Remove(input.Subscriber);

    private void SetDataFrame(MediaFrame frame)
    {
        for (int i = 0; i < _dataFrames.Count; i++)
        {
            if (_dataFrames[i].Handler == frame.Handler)
            {
                _dataFrames[i] = frame;
                return;
            }
        }
        _dataFrames.Add(frame);
    }

    private void ClearCache()
    {
        _dataFrames.Clear();
        _audioConfig = null;
        _videoConfig = null;
    }
}
