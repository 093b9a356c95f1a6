using Rtmfp.Shared.Wire;
using System.Buffers;

namespace Rtmfp.Engine;

/// <summary>Reassembly and in-order delivery of a flow's fragments (RFC 7016 §3.6.3.3).</summary>
public sealed partial class RecvFlow
{
    private void Store(ulong sn, FragmentControl fra, ReadOnlySpan<byte> data)
    {
        SequenceSet.TryGetCsn(out ulong csn);
        // Fast path: a whole message at the cumulative point with nothing held is delivered without copying.
        if (fra == FragmentControl.Whole && !_suspended && (DeliverInArrivalOrder || (_head.Count == 0 && sn <= csn)))
        {
            if (!DeliverInArrivalOrder)
            {
                DeliveredThrough = sn;
            }
            _sink.OnMessage(this, data);
            MoveReachedToHead();
            return;
        }
        if (sn <= csn && _head.Count > 0 && _head.PeekLast().SequenceNumber >= sn)
        {
            return; // below a Forward Sequence Number that overtook held data: abandoned by the sender (§3.6.1.2)
        }
        byte[] copy = ArrayPool<byte>.Shared.Rent(Math.Max(data.Length, 1));
        data.CopyTo(copy);
        var entry = new Entry { SequenceNumber = sn, Fra = fra, Buffer = copy, Length = data.Length };
        long cost = Cost(data.Length);
        BufferedSize += data.Length;
        _budget.Used += cost;
        if (sn <= csn)
        {
            // Extends the contiguous prefix (everything below is held or gone): appended in order.
            _head.PushBack(entry);
            MoveReachedToHead();
            return;
        }
        int at = FindAheadIndex(sn);
        _ahead.Insert(at, entry);
        if (DeliverInArrivalOrder && !_suspended)
        {
            TryDeliverSegmentAround(at);
        }
    }

    // Entries of _ahead now at or below CSN join the contiguous prefix, in order; each entry moves once.
    private void MoveReachedToHead()
    {
        if (_aheadStart >= _ahead.Count || !SequenceSet.TryGetCsn(out ulong csn))
        {
            return;
        }
        while (_aheadStart < _ahead.Count && _ahead[_aheadStart].SequenceNumber <= csn)
        {
            _head.PushBack(_ahead[_aheadStart]);
            _ahead[_aheadStart] = default;
            _aheadStart++;
        }
        CompactAhead();
    }

    private void CompactAhead()
    {
        if (_aheadStart == _ahead.Count)
        {
            _ahead.Clear();
            _aheadStart = 0;
        }
        else if (_aheadStart > 64 && _aheadStart * 2 > _ahead.Count)
        {
            _ahead.RemoveRange(0, _aheadStart);
            _aheadStart = 0;
        }
    }

    // First index of _ahead (from _aheadStart) whose SequenceNumber >= sn.
    private int FindAheadIndex(ulong sn)
    {
        int hi = _ahead.Count;
        if (_aheadStart == hi || _ahead[hi - 1].SequenceNumber < sn)
        {
            return hi;
        }
        return SortedSearch.LowerBound<Entry, BySequenceNumber>(_ahead, _aheadStart, sn);
    }

    private readonly struct BySequenceNumber : ISequenceKey<Entry>
    {
        public static ulong Of(in Entry item) => item.SequenceNumber;
    }

    // Network arrival order, beyond the contiguous prefix: deliver the message containing index i of _ahead if
    // all its fragments are present. The run last scanned (a Begin and the Middles after it) is remembered, so a
    // message arriving in order costs O(1) per fragment; any other scan is bounded by MaxAheadFragments.
    private void TryDeliverSegmentAround(int i)
    {
        ulong sn = _ahead[i].SequenceNumber;
        int first = i;
        int known = _runValid && sn == _runLastSn + 1 ? i - 1 - (int)Math.Min(_runLastSn - _runFirstSn, int.MaxValue) : -1;
        if (known >= _aheadStart && _ahead[known].SequenceNumber == _runFirstSn && _ahead[i - 1].SequenceNumber == _runLastSn)
        {
            // Sorted distinct numbers: equal ends over as many entries means the whole run is still there.
            first = _ahead[i].Fra is FragmentControl.Middle or FragmentControl.End ? known : i;
        }
        else
        {
            while (_ahead[first].Fra is FragmentControl.Middle or FragmentControl.End)
            {
                if (first == _aheadStart || _ahead[first - 1].SequenceNumber != _ahead[first].SequenceNumber - 1
                    || _ahead[first - 1].Fra is FragmentControl.End or FragmentControl.Whole)
                {
                    return;
                }
                first--;
                ScanSteps++;
            }
        }
        int last = i;
        while (_ahead[last].Fra is FragmentControl.Begin or FragmentControl.Middle)
        {
            if (last + 1 >= _ahead.Count || _ahead[last + 1].SequenceNumber != _ahead[last].SequenceNumber + 1
                || _ahead[last + 1].Fra is FragmentControl.Begin or FragmentControl.Whole)
            {
                _runValid = true; // incomplete: remember first..last for the next fragment
                _runFirstSn = _ahead[first].SequenceNumber;
                _runLastSn = _ahead[last].SequenceNumber;
                return;
            }
            last++;
            ScanSteps++;
        }
        _runValid = false;
        int total = 0;
        for (int k = first; k <= last; k++)
        {
            total += _ahead[k].Length;
        }
        byte[] message = ArrayPool<byte>.Shared.Rent(Math.Max(total, 1));
        int offset = 0;
        for (int k = first; k <= last; k++)
        {
            var e = _ahead[k];
            e.Buffer.AsSpan(0, e.Length).CopyTo(message.AsSpan(offset));
            offset += e.Length;
            Release(e);
        }
        _ahead.RemoveRange(first, last - first + 1);
        try
        {
            _sink.OnMessage(this, message.AsSpan(0, total));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(message);
        }
    }

    /// <summary>
    /// Original-order delivery and discarding of abandoned segments (RFC 7016 §3.6.3.3), over the contiguous
    /// prefix only. The message in progress at its front is scanned once: <see cref="_headScan"/> fragments
    /// are known to be its Begin and Middles, so each fragment costs O(1) amortized.
    /// </summary>
    private void Deliver()
    {
        if (_suspended)
        {
            return;
        }
        while (_head.Count > 0)
        {
            ref var entry = ref _head[0];
            if (entry.Fra == FragmentControl.Whole)
            {
                DeliverFront(1);
                continue;
            }
            if (entry.Fra is FragmentControl.End or FragmentControl.Middle)
            {
                RemoveFront(1);
                _sink.OnMessagesLost(this);
                continue;
            }
            // Begin: extend the known part of this message over the fragments that arrived since.
            if (_headScan == 0)
            {
                _headScan = 1;
                _headSize = _head[0].Length;
            }
            bool ended = false;
            while (_headScan < _head.Count)
            {
                ref var next = ref _head[_headScan];
                if (next.SequenceNumber != _head[_headScan - 1].SequenceNumber + 1
                    || next.Fra is FragmentControl.Begin or FragmentControl.Whole)
                {
                    break;
                }
                _headScan++;
                ScanSteps++;
                _headSize += next.Length;
                if (next.Fra == FragmentControl.End)
                {
                    ended = true;
                    break;
                }
            }
            if (ended)
            {
                DeliverFront(_headScan);
            }
            else if (_headScan < _head.Count || _head[_headScan - 1].SequenceNumber < CsnOrZero())
            {
                // The next number is held by another message or was abandoned: this one can never complete.
                RemoveFront(_headScan);
                _sink.OnMessagesLost(this);
            }
            else
            {
                if (_headSize + (long)_headScan * EntryOverhead > _maxMessageSize)
                {
                    // §3.6.3.7: a message larger than we accept; the sender learns it from the exception.
                    Reject(0);
                }
                return; // in progress
            }
        }
    }

    private ulong CsnOrZero() => SequenceSet.TryGetCsn(out ulong csn) ? csn : 0;

    // Delivers the first count entries of the contiguous prefix as one message.
    private void DeliverFront(int count)
    {
        if (count == 1)
        {
            var e = _head[0];
            _head.PopFront();
            _headScan = 0;
            DeliveredThrough = e.SequenceNumber;
            try
            {
                _sink.OnMessage(this, e.Buffer.AsSpan(0, e.Length));
            }
            finally
            {
                Release(e);
            }
            return;
        }
        int total = 0;
        for (int i = 0; i < count; i++)
        {
            total += _head[i].Length;
        }
        byte[] message = ArrayPool<byte>.Shared.Rent(Math.Max(total, 1));
        int offset = 0;
        for (int i = 0; i < count; i++)
        {
            ref var e = ref _head[i];
            e.Buffer.AsSpan(0, e.Length).CopyTo(message.AsSpan(offset));
            offset += e.Length;
        }
        DeliveredThrough = _head[count - 1].SequenceNumber;
        RemoveFront(count);
        try
        {
            _sink.OnMessage(this, message.AsSpan(0, total));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(message);
        }
    }

    private void RemoveFront(int count)
    {
        for (int i = 0; i < count; i++)
        {
            Release(_head[0]);
            _head.PopFront();
        }
        _headScan = 0;
        _headSize = 0;
    }

    private void Release(in Entry e)
    {
        long cost = Cost(e.Length);
        BufferedSize -= e.Length;
        _budget.Used -= cost;
        if (e.Buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(e.Buffer);
        }
    }

    private void ClearBuffer()
    {
        RemoveFront(_head.Count);
        for (int i = _aheadStart; i < _ahead.Count; i++)
        {
            Release(_ahead[i]);
        }
        _ahead.Clear();
        _aheadStart = 0;
    }

    private int HeldCount => _head.Count + _ahead.Count - _aheadStart;
}
