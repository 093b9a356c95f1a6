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
    private long _dataFrameBytes;

    /// <summary>Handlers whose data frame is kept for late joiners; frames for more are forwarded, not kept.</summary>
    public const int MaxDataFrames = 16;

    /// <summary>Bytes of data frames kept for late joiners; a frame that would exceed it is forwarded, not kept.</summary>
    public const long MaxDataFrameBytes = 1 << 20;
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
                RemoveDataFrame(frame.Handler);
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

    /// <summary>
    /// Keeps the frame for late joiners, replacing the handler's previous one (docs/protocol-notes.md §6), within
    /// <see cref="MaxDataFrames"/> and <see cref="MaxDataFrameBytes"/>: a publisher naming ever new handlers or
    /// sending huge frames must not grow the cache without end (security review, finding 8).
    /// </summary>
    private void SetDataFrame(MediaFrame frame)
    {
        int index = _dataFrames.FindIndex(f => f.Handler == frame.Handler);
        long kept = _dataFrameBytes - (index >= 0 ? _dataFrames[index].Message.Length : 0);
        if (kept + frame.Message.Length > MaxDataFrameBytes || (index < 0 && _dataFrames.Count >= MaxDataFrames))
        {
            RemoveDataFrame(frame.Handler); // a late joiner gets no frame rather than an outdated one
            return;
        }
        if (index >= 0)
        {
            _dataFrames[index] = frame;
        }
        else
        {
            _dataFrames.Add(frame);
        }
        _dataFrameBytes = kept + frame.Message.Length;
    }

    private void RemoveDataFrame(string? handler)
    {
        for (int i = 0; i < _dataFrames.Count; i++)
        {
            if (_dataFrames[i].Handler == handler)
            {
                _dataFrameBytes -= _dataFrames[i].Message.Length;
                _dataFrames.RemoveAt(i);
                return;
            }
        }
    }

    private void ClearCache()
    {
        _dataFrames.Clear();
        _dataFrameBytes = 0;
        _audioConfig = null;
        _videoConfig = null;
    }
}
