namespace Rtmfp.Flash;

/// <summary>
/// A NetStream's outgoing messages while the transport is busy, bounded: when full, droppable media
/// goes first (amf-and-flash-messages.md B11: re-arm the keyframe gate on overflow); if only
/// undroppable messages remain, the oldest goes. Staleness is judged by the drainer at the head.
/// </summary>
public sealed class StreamSendQueue
{
    private readonly Queue<QueuedMessage> _queue = new();

    public StreamSendQueue(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    public int Capacity { get; }
    public int Count => _queue.Count;

    /// <summary>Adds a message; returns how many were dropped to make room (<paramref name="droppedVideo"/>: any of them video).</summary>
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
        return dropped;
    }

    public bool TryPeek(out QueuedMessage message) => _queue.TryPeek(out message);

    public void Dequeue() => _queue.Dequeue();

    public void Clear() => _queue.Clear();
}
