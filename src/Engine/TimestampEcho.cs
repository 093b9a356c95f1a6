using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine;

/// <summary>
/// The REQUIRED timestamp echo facility (RFC 7016 §3.5.2.2): remembers the far end's last
/// timestamp (TS_RX, TS_RX_TIME) and decides when to send a timestamp echo (TS_ECHO_TX).
/// </summary>
public sealed class TimestampEcho
{
    /// <summary>Echoes stop when the far end's timestamp is older than 128 s (RFC 7016 §3.5.2.2 step 1).</summary>
    public const long MaxEchoAgeMs = 128_000;

    private bool _hasRx;
    private ushort _tsRx;
    private long _tsRxTime = long.MinValue; // negative infinity
    private bool _hasEchoTx;
    private ushort _echoTx;

    /// <summary>On receipt of a packet with a timestamp: a changed value restarts TS_RX_TIME.</summary>
    public void OnTimestampReceived(ushort timestamp, long nowMs)
    {
        if (!_hasRx || timestamp != _tsRx)
        {
            _hasRx = true;
            _tsRx = timestamp;
            _tsRxTime = nowMs;
        }
    }

    /// <summary>When sending a packet: true with the echo value if the timestampEcho field should be included.</summary>
    public bool TryGetEchoToSend(long nowMs, out ushort echo)
    {
        echo = 0;
        if (!_hasRx)
        {
            return false;
        }
        long elapsed = nowMs - _tsRxTime;
        if (elapsed > MaxEchoAgeMs)
        {
            _hasRx = false;
            _hasEchoTx = false;
            return false;
        }
        echo = (ushort)(_tsRx + (elapsed / Timestamp.TickMilliseconds));
        if (_hasEchoTx && echo == _echoTx)
        {
            return false;
        }
        _hasEchoTx = true;
        _echoTx = echo;
        return true;
    }
}
