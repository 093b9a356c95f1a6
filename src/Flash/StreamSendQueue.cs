using Rtmfp.Shared.Flash;

namespace Rtmfp.Flash;

/// <summary>
/// A <see cref="NetStream"/>'s outgoing messages, in order, while the transport is busy. Bounded: when full,
/// droppable media goes first (a dropped video frame re-arms the keyframe gate: later inter frames would not decode); if only
/// undroppable messages remain, the oldest goes. <see cref="Drain"/> offers the head to the transport and
/// judges staleness there.
/// </summary>
internal sealed class StreamSendQueue
{
    private readonly Queue<QueuedMessage> _queue = new();
    private readonly uint _streamId;
    private readonly IFlashConnectionOutput _output;
    private readonly NetConnectionCounters _counters;
    private readonly TimeProvider _time;

    public StreamSendQueue(uint streamId, int capacity, IFlashConnectionOutput output, NetConnectionCounters counters, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _streamId = streamId;
        Capacity = capacity;
        _output = output;
        _counters = counters;
        _time = time;
    }

    public int Capacity { get; }
    public int Count => _queue.Count;

    /// <summary>Drop inter frames until the next keyframe goes out: an inter frame decodes only after the frames it depends on.</summary>
    public bool WaitingForKeyframe { get; set; } = true;

    /// <summary>
    /// Adds a message; returns how many were dropped to make room (<paramref name="droppedVideo"/>: any of them
    /// video, which re-arms the keyframe gate). Drops count as <see cref="NetConnectionCounters.OverflowDrops"/>.
    /// </summary>
    public int Enqueue(in QueuedMessage message, out bool droppedVideo)
    {
        droppedVideo = false;
        int dropped = 0;
        if (_queue.Count >= Capacity)
        {
            int n = _queue.Count;
            for (int i = 0; i < n; i++)
            {
                var e = _queue.Dequeue();
                if (e.IsDroppable)
                {
                    dropped++;
                    droppedVideo |= e.IsVideo;
                }
                else
                {
                    _queue.Enqueue(e);
                }
            }
            if (_queue.Count >= Capacity)
            {
                var oldest = _queue.Dequeue();
                dropped++;
                droppedVideo |= oldest.IsVideo;
            }
        }
        _queue.Enqueue(message);
        if (dropped > 0)
        {
            _counters.OverflowDrops += dropped;
            if (droppedVideo)
            {
                WaitingForKeyframe = true;
            }
        }
        return dropped;
    }

    /// <summary>An onStatus (or other command) on the stream, never dropped for age.</summary>
    public void EnqueueStatus(Command status) =>
        Enqueue(new QueuedMessage(status.ToMessage(), MessageClass.StreamStatus, DeliveryHints.Reliable, long.MaxValue, null), out _);

    public void EnqueueUserControl(UserControlEvent ev)
    {
        var bytes = new byte[RtmpMessage.HeaderLength + ev.Length];
        ev.WriteMessage(bytes);
        Enqueue(new QueuedMessage(bytes, MessageClass.StreamStatus, DeliveryHints.Reliable, long.MaxValue, null), out _);
    }

    /// <summary>Everything queued before reaches the client before anything queued after (<see cref="IFlashConnectionOutput.Synchronize"/>).</summary>
    public void EnqueueBarrier() => Enqueue(QueuedMessage.Barrier(), out _);

    public bool TryPeek(out QueuedMessage message) => _queue.TryPeek(out message);

    public void Clear() => _queue.Clear();

    private TimeSpan Remaining(long deadline, long now) =>
        TimeSpan.FromSeconds((double)(deadline - now) / _time.TimestampFrequency);

    /// <summary>
    /// Offers queued messages to the transport in order: stale droppable media is skipped (and re-arms
    /// the video gate), inter frames wait for a keyframe, and the first refusal stops the drain.
    /// </summary>
    public void Drain()
    {
        long now = -1;
        while (_queue.TryPeek(out var m))
        {
            if (m.IsBarrier)
            {
                _output.Synchronize(_streamId);
                _queue.Dequeue();
                continue;
            }
            if (m.IsDroppable)
            {
                if (now < 0)
                {
                    now = _time.GetTimestamp();
                }
                if (m.Deadline < now)
                {
                    _queue.Dequeue();
                    _counters.StaleDrops++;
                    if (m.IsVideo)
                    {
                        WaitingForKeyframe = true;
                    }
                    continue;
                }
                if (m.Kind == MediaFrameKind.VideoInter && WaitingForKeyframe)
                {
                    _queue.Dequeue();
                    _counters.GatedDrops++;
                    continue;
                }
            }
            // Partially reliable media takes to its flow what is left of its lifetime, so the flow abandons it at the
            // same moment (RFC 7016 §3.6.2.7: a sender may abandon a message at any time).
            var hints = m.IsDroppable && m.Hints.Lifetime is not null ? m.Hints with { Lifetime = Remaining(m.Deadline, now) } : m.Hints;
            if (!_output.Send(_streamId, m.Message, m.Class, hints))
            {
                return;
            }
            if (m.Kind == MediaFrameKind.VideoKeyframe)
            {
                WaitingForKeyframe = false;
            }
            _queue.Dequeue();
        }
    }
}
