namespace Rtmfp.Engine;

/// <summary>A growable FIFO of structs addressed by position from the head; no allocation once grown.</summary>
internal sealed class RingBuffer<T>
{
    private T[] _items;
    private int _head;

    public RingBuffer(int capacity = 16)
    {
        _items = new T[(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, 4))];
    }

    public int Count { get; private set; }

    public ref T this[int index] => ref _items[(_head + index) & (_items.Length - 1)];

    public ref T PeekLast() => ref this[Count - 1];

    public void PushBack(in T item)
    {
        if (Count == _items.Length)
        {
            Grow();
        }
        _items[(_head + Count) & (_items.Length - 1)] = item;
        Count++;
    }

    public void PopFront()
    {
        _items[_head] = default!;
        _head = (_head + 1) & (_items.Length - 1);
        Count--;
    }

    public void Clear()
    {
        while (Count > 0)
        {
            PopFront();
        }
        _head = 0;
    }

    private void Grow()
    {
        var bigger = new T[_items.Length * 2];
        for (int i = 0; i < Count; i++)
        {
            bigger[i] = _items[(_head + i) & (_items.Length - 1)];
        }
        _items = bigger;
        _head = 0;
    }
}
