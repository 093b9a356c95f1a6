using Rtmfp.Cluster;
using System.Net;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Gateway.Transport;

/// <summary>
/// Encrypted datagrams collected while sessions drain their packets, as bursts: a burst is datagrams for one
/// destination that one segmented send can carry (<see cref="UdpSegmentation"/>: all but the last of the same length,
/// at most <see cref="UdpSegmentation.MaxSegments"/> and <see cref="UdpSegmentation.MaxBatchBytes"/>). A datagram for
/// another destination, of a larger size, or after a short one starts a new burst. <see cref="Flush"/> sends every
/// burst held: one burst with one sendmsg, several with one sendmmsg per socket (<see cref="MultiSend"/>); a burst ended
/// with <see cref="EndBurst"/> waits for the next flush, so the bursts of a whole fan-out pass leave together. Owned by
/// one thread at a time; flush before the thread moves on.
/// </summary>
internal sealed class DatagramBatch
{
    /// <summary>Bursts held before they must go: one sendmmsg's worth.</summary>
    public const int MaxBursts = MultiSend.MaxMessages;

    /// <summary>Room for several whole bursts; a new burst starts only where a largest one would still fit.</summary>
    public const int BufferBytes = 4 * UdpSegmentation.MaxBatchBytes;

    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(BufferBytes);
    private readonly DatagramBurst[] _bursts = new DatagramBurst[MaxBursts];
    private int _held; // bursts ended and waiting for the flush
    private bool _open; // _bursts[_held] takes more datagrams
    private int _used;

    /// <summary>Datagrams in the burst being collected (0 when none is open).</summary>
    public int Count => _open ? _bursts[_held].Count : 0;

    /// <summary>No room for another whole burst: the next one would make the batch send what it holds first.</summary>
    public bool Full => !_open && (_held == MaxBursts || _used + UdpSegmentation.MaxBatchBytes > _buffer.Length);

    /// <summary>Bursts held, the open one included.</summary>
    public int Bursts => _held + (_open ? 1 : 0);

    public void Add(UdpEndpoint endpoint, ReadOnlySpan<byte> datagram, SocketAddress to, RtmfpMetrics metrics)
    {
        if (_open && !Fits(ref _bursts[_held], endpoint, datagram.Length, to))
        {
            EndBurst();
        }
        if (!_open)
        {
            if (Full)
            {
                Flush();
            }
            ref var start = ref _bursts[_held];
            start.Endpoint = endpoint;
            start.Metrics = metrics;
            start.Offset = _used;
            start.Bytes = 0;
            start.Count = 0;
            start.SegmentSize = datagram.Length;
            start.Ended = false;
            CopyAddress(ref start, to);
            _open = true;
        }
        ref var burst = ref _bursts[_held];
        if (datagram.Length < burst.SegmentSize)
        {
            burst.Ended = true;
        }
        datagram.CopyTo(_buffer.AsSpan(_used));
        _used += datagram.Length;
        burst.Bytes += datagram.Length;
        burst.Count++;
        if (!endpoint.CanSegment || burst.Count == UdpSegmentation.MaxSegments)
        {
            EndBurst();
        }
    }

    /// <summary>Ends the burst being collected; it leaves with the next <see cref="Flush"/>.</summary>
    public void EndBurst()
    {
        if (_open)
        {
            _open = false;
            _held++;
        }
    }

    /// <summary>Sends every burst held, in order, and empties the batch.</summary>
    public void Flush()
    {
        EndBurst();
        int i = 0;
        while (i < _held)
        {
            // Consecutive bursts of one socket go together (one sendmsg for a lone burst, sendmmsg for several); the
            // fan-out's players all share their gateway's socket.
            int end = i + 1;
            while (end < _held && ReferenceEquals(_bursts[end].Endpoint, _bursts[i].Endpoint))
            {
                end++;
            }
            _bursts[i].Endpoint.SendBursts(_buffer, _bursts.AsSpan(i, end - i));
            i = end;
        }
        for (int j = 0; j < _held; j++)
        {
            _bursts[j].Endpoint = null!;
            _bursts[j].Metrics = null!;
        }
        _held = 0;
        _used = 0;
    }

    private static bool Fits(ref DatagramBurst burst, UdpEndpoint endpoint, int length, SocketAddress to) =>
        !burst.Ended && length <= burst.SegmentSize && burst.Bytes + length <= UdpSegmentation.MaxBatchBytes
        && ReferenceEquals(endpoint, burst.Endpoint) && to.Equals(burst.Address);

    /// <summary>Each slot keeps its own address object, reused while the family and size allow.</summary>
    private static void CopyAddress(ref DatagramBurst burst, SocketAddress to)
    {
        if (burst.Address is null || burst.Address.Family != to.Family || burst.Address.Buffer.Length < to.Size)
        {
            burst.Address = new SocketAddress(to.Family, to.Size);
        }
        to.Buffer.Span[..to.Size].CopyTo(burst.Address.Buffer.Span);
        burst.Address.Size = to.Size;
    }
}
