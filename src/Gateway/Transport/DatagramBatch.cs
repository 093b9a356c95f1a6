using Rtmfp.Cluster;
using System.Net;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Gateway.Transport;

/// <summary>
/// Encrypted datagrams for one destination collected while a session drains its packets, sent with one
/// segmented sendmsg (<see cref="UdpSegmentation"/>) when their sizes allow: all but the last of the same
/// length. A datagram for another destination, of a larger size, or after a short one sends what is
/// collected first. Owned by one thread at a time; <see cref="Flush"/> before the thread moves on.
/// </summary>
internal sealed class DatagramBatch
{
    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(UdpSegmentation.MaxBatchBytes);
    private SocketAddress? _to;
    private UdpEndpoint? _endpoint;
    private RtmfpMetrics? _metrics;
    private int _count;
    private int _bytes;
    private int _segmentSize;
    private bool _ended;

    public int Count => _count;

    public void Add(UdpEndpoint endpoint, ReadOnlySpan<byte> datagram, SocketAddress to, RtmfpMetrics metrics)
    {
        if (_count > 0 && !Fits(endpoint, datagram.Length, to))
        {
            Flush();
        }
        if (_count == 0)
        {
            _endpoint = endpoint;
            _metrics = metrics;
            _segmentSize = datagram.Length;
            CopyAddress(to);
        }
        else if (datagram.Length < _segmentSize)
        {
            _ended = true;
        }
        datagram.CopyTo(_buffer.AsSpan(_bytes));
        _bytes += datagram.Length;
        _count++;
        if (!endpoint.CanSegment || _count == UdpSegmentation.MaxSegments)
        {
            Flush();
        }
    }

    public void Flush()
    {
        if (_count == 0)
        {
            return;
        }
        var endpoint = _endpoint!;
        var to = _to!;
        if (_count == 1)
        {
            endpoint.SendTo(_buffer.AsSpan(0, _bytes), to, _metrics!);
        }
        else
        {
            endpoint.SendSegmented(_buffer.AsSpan(0, _bytes), _segmentSize, to, _count, _metrics!);
        }
        _count = 0;
        _bytes = 0;
        _ended = false;
        _endpoint = null;
        _metrics = null;
    }

    private bool Fits(UdpEndpoint endpoint, int length, SocketAddress to) =>
        !_ended && length <= _segmentSize && _bytes + length <= _buffer.Length
        && ReferenceEquals(endpoint, _endpoint) && to.Equals(_to);

    private void CopyAddress(SocketAddress to)
    {
        if (_to is null || _to.Family != to.Family || _to.Buffer.Length < to.Size)
        {
            _to = new SocketAddress(to.Family, to.Size);
        }
        to.Buffer.Span[..to.Size].CopyTo(_to.Buffer.Span);
        _to.Size = to.Size;
    }
}
