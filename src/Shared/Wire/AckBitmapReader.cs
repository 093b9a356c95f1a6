namespace Rtmfp.Shared.Wire;

/// <summary>
/// Decodes a Bitmap Ack bit field (RFC 7016 §2.3.13) into acknowledged ranges above the cumulative ack: bit b
/// (LSB first) of byte i acknowledges cumulativeAck + 2 + 8i + b; consecutive set bits merge into one range.
/// Usable with <c>foreach</c>. The caller guarantees the highest sequence number fits in 64 bits
/// (<see cref="DataAckBitmapChunk.TryRead"/> does).
/// </summary>
public ref struct AckBitmapReader : IAckRangeEnumerator
{
    private readonly ReadOnlySpan<byte> _bitmap;
    private readonly ulong _base;
    private int _bit;

    public AckBitmapReader(ulong cumulativeAck, ReadOnlySpan<byte> bitmap)
    {
        _bitmap = bitmap;
        _base = cumulativeAck + 2;
        _bit = 0;
        Current = default;
    }

    public SequenceRange Current { get; private set; }

    public readonly AckBitmapReader GetEnumerator() => this;

    public bool MoveNext()
    {
        int total = _bitmap.Length * 8;
        while (_bit < total && !IsSet(_bit))
        {
            _bit++;
        }
        if (_bit >= total)
        {
            return false;
        }
        int start = _bit;
        while (_bit < total && IsSet(_bit))
        {
            _bit++;
        }
        Current = new SequenceRange(_base + (ulong)start, _base + (ulong)(_bit - 1));
        return true;
    }

    private readonly bool IsSet(int bit) => (_bitmap[bit >> 3] & (1 << (bit & 7))) != 0;
}
