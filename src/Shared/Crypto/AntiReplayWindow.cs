namespace Rtmfp.Shared.Crypto;

/// <summary>
/// RFC 7425 §4.7.3.3 anti-replay window for received session sequence numbers: tolerates reordering
/// of up to <see cref="Size"/> - 1 numbers below the highest seen; anything already seen or below the
/// window is a duplicate. A 64-bit bitmap in the style of RFC 4303 §3.4.3 (the RFC asks for ≥ 32).
/// Not thread-safe: owned by one <see cref="SessionCryptoContext"/>.
/// </summary>
public struct AntiReplayWindow
{
    public const int Size = 64;

    private ulong _highest;
    private ulong _bitmap; // bit i set = (_highest - i) was seen
    private bool _any;

    /// <summary>Whether <paramref name="sequenceNumber"/> would be accepted (not a duplicate, not below the window).</summary>
    public readonly bool IsAcceptable(ulong sequenceNumber)
    {
        if (!_any || sequenceNumber > _highest)
        {
            return true;
        }
        ulong diff = _highest - sequenceNumber;
        return diff < Size && (_bitmap & (1UL << (int)diff)) == 0;
    }

    /// <summary>Records an accepted number; call only after the packet verified and <see cref="IsAcceptable"/> held.</summary>
    public void Accept(ulong sequenceNumber)
    {
        if (!_any)
        {
            _any = true;
            _highest = sequenceNumber;
            _bitmap = 1;
            return;
        }
        if (sequenceNumber > _highest)
        {
            ulong shift = sequenceNumber - _highest;
            _bitmap = shift >= Size ? 0 : _bitmap << (int)shift;
            _bitmap |= 1;
            _highest = sequenceNumber;
            return;
        }
        ulong diff = _highest - sequenceNumber;
        if (diff < Size)
        {
            _bitmap |= 1UL << (int)diff;
        }
    }
}
