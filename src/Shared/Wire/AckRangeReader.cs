namespace Rtmfp.Shared.Wire;

/// <summary>
/// Decodes the run-length pairs of a Range Ack (RFC 7016 §2.3.14) into acknowledged ranges above the cumulative
/// ack. A truncated final pair is ignored (the chunk stays valid up to the last complete pair); iteration also stops
/// at a pair that would overflow 64 bits. Usable with <c>foreach</c>.
/// </summary>
public ref struct AckRangeReader : IAckRangeEnumerator
{
    private WireReader _reader;
    private ulong _cursor;
    private bool _done;

    public AckRangeReader(ulong cumulativeAck, ReadOnlySpan<byte> encodedRanges)
    {
        _reader = new WireReader(encodedRanges);
        _cursor = cumulativeAck;
        _done = false;
        Current = default;
    }

    public SequenceRange Current { get; private set; }

    public readonly AckRangeReader GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_done || _reader.IsEmpty)
        {
            return false;
        }
        // ackCursor++; rangeFrom = ackCursor + holesMinusOne + 1; rangeTo = rangeFrom + receivedMinusOne
        if (!_reader.TryReadVlu(out ulong holesMinusOne) || !_reader.TryReadVlu(out ulong receivedMinusOne)
            || _cursor > ulong.MaxValue - 2 || holesMinusOne > ulong.MaxValue - 2 - _cursor)
        {
            _done = true;
            return false;
        }
        ulong from = _cursor + 2 + holesMinusOne;
        if (receivedMinusOne > ulong.MaxValue - from)
        {
            _done = true;
            return false;
        }
        ulong to = from + receivedMinusOne;
        Current = new SequenceRange(from, to);
        _cursor = to;
        return true;
    }
}
