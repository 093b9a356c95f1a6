using Rtmfp.Cluster;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Gateway.Transport;

/// <summary>Receives one datagram. The span and the address are reused after the call returns: copy what you keep.</summary>
internal delegate void DatagramHandler(UdpEndpoint endpoint, ReadOnlySpan<byte> datagram, SocketAddress from);

/// <summary>
/// One bound UDP socket with a receive loop on a dedicated thread (blocking receives: no epoll
/// wake-up and no thread-pool hand-off per datagram) and the allocation-free <see cref="SocketAddress"/>
/// overloads. Sending is synchronous (a UDP send does not block for long) and thread-safe.
/// </summary>
internal sealed class UdpEndpoint : IAsyncDisposable
{
    /// <summary>Largest datagram accepted (docs/protocol-notes.md §1: accept up to 8192).</summary>
    public const int MaxDatagram = PacketLimits.MaxDatagramLength;

    private readonly Socket _socket;
    private readonly ILogger? _logger;
    private readonly RtmfpMetrics? _metrics;
    private readonly CancellationTokenSource _stop = new();
    private Thread? _loop;
    private readonly TaskCompletionSource _loopDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How often a blocked receive wakes to notice a stop.</summary>
    private const int ReceiveWakeMs = 250;

    /// <param name="metrics">Where a handler exception is counted (<see cref="HandlerFailureSites.UdpReceive"/>).</param>
    public UdpEndpoint(IPEndPoint bind, int receiveBufferBytes = 4 << 20, ILogger? logger = null, RtmfpMetrics? metrics = null)
    {
        _logger = logger;
        _metrics = metrics;
        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (bind.AddressFamily == AddressFamily.InterNetworkV6)
        {
            // Separate IPv4 and IPv6 sockets may share a port (0.0.0.0:1935 and [::]:1935).
            _socket.DualMode = false;
        }
        try
        {
            _socket.ReceiveBufferSize = receiveBufferBytes;
            _socket.SendBufferSize = receiveBufferBytes;
        }
        catch (SocketException)
        {
            // The kernel caps buffer sizes (net.core.rmem_max); the default still works.
        }
        _socket.ReceiveTimeout = ReceiveWakeMs;
        _canSegment = UdpSegmentation.IsSupportedBy(_socket);
        _socket.Bind(bind);
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    public IPEndPoint LocalEndPoint { get; }

    public AddressFamily AddressFamily => LocalEndPoint.AddressFamily;

    /// <param name="endOfBatch">
    /// Called after each batch of datagrams that one <c>recvmmsg</c> took (Linux; <see cref="UdpReceiveBatch"/>):
    /// the handler may hold what it was given until then. Without it, or elsewhere, one datagram at a time.
    /// </param>
    public void Start(DatagramHandler handler, Action? endOfBatch = null)
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("already started");
        }
        _loop = new Thread(() =>
        {
            if (endOfBatch is not null && UdpReceiveBatch.IsPlatformSupported && BatchReceiveLoop(handler, endOfBatch))
            {
                return;
            }
            ReceiveLoop(handler);
        })
        {
            IsBackground = true,
            Name = $"rtmfp udp {LocalEndPoint}",
        };
        _loop.Start();
    }

    /// <summary>Sends and counts the datagram in <paramref name="metrics"/> (packets and bytes out).</summary>
    public void SendTo(ReadOnlySpan<byte> datagram, SocketAddress to, RtmfpMetrics metrics)
    {
        SendTo(datagram, to);
        metrics.Packets.Add(1, MetricTags.Transmit);
        metrics.Io.Add(datagram.Length, MetricTags.Transmit);
    }

    /// <summary>False once the kernel refused a segmented send on this socket (or off Linux): send one by one.</summary>
    public bool CanSegment
    {
        get => _canSegment;
        internal set => _canSegment = value && UdpSegmentation.IsSupportedBy(_socket);
    }

    private volatile bool _canSegment;
    private long _segmentedSends;

    /// <summary>System calls that carried more than one datagram.</summary>
    public long SegmentedSends => Interlocked.Read(ref _segmentedSends);

    private long _multiSends;
    private volatile bool _canSendMany = MultiSend.IsPlatformSupported;

    /// <summary>System calls that carried the bursts of more than one destination (sendmmsg).</summary>
    public long MultiSends => Interlocked.Read(ref _multiSends);

    /// <summary>
    /// Sends bursts of datagrams (<see cref="DatagramBatch"/>), as many per system call as <see cref="MultiSend"/> takes; a
    /// lone burst, and one the kernel refused, goes through <see cref="SendSegmented"/> or
    /// <see cref="SendTo(ReadOnlySpan{byte}, SocketAddress, RtmfpMetrics)"/>, which report or work around its error.
    /// </summary>
    public void SendBursts(ReadOnlySpan<byte> buffer, ReadOnlySpan<DatagramBurst> bursts)
    {
        int i = 0;
        while (i < bursts.Length)
        {
            int sent = 0, errno = Errno.Enosys;
            if (_canSendMany && bursts.Length - i > 1)
            {
                try
                {
                    sent = MultiSend.Send(_socket, buffer, bursts[i..], out errno);
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                if (errno == Errno.Enosys)
                {
                    _canSendMany = false; // no sendmmsg here: one call per burst from now on
                }
            }
            if (sent > 1)
            {
                Interlocked.Increment(ref _multiSends);
            }
            for (int j = i; j < i + sent; j++)
            {
                ref readonly var burst = ref bursts[j];
                if (burst.Count > 1)
                {
                    Interlocked.Increment(ref _segmentedSends);
                }
                burst.Metrics.Packets.Add(burst.Count, MetricTags.Transmit);
                burst.Metrics.Io.Add(burst.Bytes, MetricTags.Transmit);
            }
            i += sent;
            if (i < bursts.Length)
            {
                // The burst that did not go (or every burst, without sendmmsg): the single path and its error handling.
                ref readonly var burst = ref bursts[i];
                var payload = buffer.Slice(burst.Offset, burst.Bytes);
                if (burst.Count == 1)
                {
                    SendTo(payload, burst.Address, burst.Metrics);
                }
                else
                {
                    SendSegmented(payload, burst.SegmentSize, burst.Address, burst.Count, burst.Metrics);
                }
                i++;
            }
        }
    }

    /// <summary>
    /// Sends <paramref name="count"/> datagrams laid end to end in <paramref name="payload"/>, each
    /// <paramref name="segmentSize"/> long but the last, with one system call where the kernel can segment.
    /// </summary>
    public void SendSegmented(ReadOnlySpan<byte> payload, int segmentSize, SocketAddress to, int count, RtmfpMetrics metrics)
    {
        if (_canSegment)
        {
            int errno;
            try
            {
                errno = UdpSegmentation.Send(_socket, payload, segmentSize, to);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            if (errno == 0)
            {
                Interlocked.Increment(ref _segmentedSends);
                metrics.Packets.Add(count, MetricTags.Transmit);
                metrics.Io.Add(payload.Length, MetricTags.Transmit);
                return;
            }
            if (errno is Errno.Eio or Errno.Enoprotoopt or Errno.Eopnotsupp)
            {
                // The device or kernel cannot segment (e.g. no checksum offload): from now on, one by one.
                _canSegment = false;
                _logger?.SegmentationRefused(LocalEndPoint, errno);
            }
            else if (errno != Errno.Einval)
            {
                // A full buffer or an ICMP error: UDP loses the batch like any datagram; RTMFP retransmits.
                _logger?.SegmentedSendFailed(to, errno);
                return;
            }
            // EINVAL: this batch cannot be segmented on its route (e.g. segments above its MTU): send it one by one.
        }
        for (int offset = 0; offset < payload.Length; offset += segmentSize)
        {
            SendTo(payload.Slice(offset, Math.Min(segmentSize, payload.Length - offset)), to, metrics);
        }
    }

    public void SendTo(ReadOnlySpan<byte> datagram, SocketAddress to)
    {
        try
        {
            _socket.SendTo(datagram, SocketFlags.None, to);
        }
        catch (SocketException ex)
        {
            // ICMP errors and full buffers are ordinary on UDP: RTMFP retransmits.
            _logger?.SendFailed(to, ex.SocketErrorCode);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void ReceiveLoop(DatagramHandler handler)
    {
        try
        {
            // One byte more than accepted: a longer datagram fills it and is dropped whole, as the batch loop drops one
            // the kernel cut (docs/protocol-notes.md §1), never handed over cut.
            var buffer = GC.AllocateArray<byte>(MaxDatagram + 1, pinned: true);
            var from = new SocketAddress(_socket.AddressFamily);
            var token = _stop.Token;
            while (!token.IsCancellationRequested)
            {
                int received;
                try
                {
                    received = _socket.ReceiveFrom(buffer, SocketFlags.None, from);
                }
                catch (ObjectDisposedException)
                {
                    break;
                }
                catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
                {
                    continue;
                }
                catch (SocketException ex)
                {
                    if (token.IsCancellationRequested)
                    {
                        break;
                    }
                    // ICMP port unreachable (ConnectionReset) and truncation are per-datagram conditions.
                    _logger?.ReceiveFailed(ex.SocketErrorCode);
                    continue;
                }
                if (received > MaxDatagram)
                {
                    continue;
                }
                try
                {
                    handler(this, buffer.AsSpan(0, received), from);
                }
                catch (Exception ex)
                {
                    // A handler bug must not stop the gateway; peer input is never supposed to get here.
                    _metrics?.HandlerFailed(HandlerFailureSites.UdpReceive);
                    _logger?.HandlerFailed(ex);
                }
            }
        }
        finally
        {
            _loopDone.TrySetResult();
        }
    }

    /// <summary>The receive loop with <c>recvmmsg</c>; false if the kernel lacks it (the caller falls back to one by one).</summary>
    private bool BatchReceiveLoop(DatagramHandler handler, Action endOfBatch)
    {
        var batch = new UdpReceiveBatch(_socket.AddressFamily);
        var token = _stop.Token;
        bool done = true;
        try
        {
            while (!token.IsCancellationRequested)
            {
                int n = batch.Receive(_socket, out int errno);
                if (n < 0)
                {
                    if (errno == Errno.Enosys)
                    {
                        done = false;
                        return false;
                    }
                    if (errno is Errno.Eagain or Errno.Eintr)
                    {
                        // The socket's receive timeout passed, or the descriptor is non-blocking: wait the .NET way.
                        _socket.Poll(ReceiveWakeMs * 1000, SelectMode.SelectRead);
                    }
                    else if (errno == Errno.Ebadf || token.IsCancellationRequested)
                    {
                        break;
                    }
                    // Else ICMP errors of earlier sends and the like: per-datagram conditions, as in ReceiveLoop.
                    continue;
                }
                Deliver(batch, n, handler, endOfBatch);
            }
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            if (done)
            {
                _loopDone.TrySetResult();
            }
        }
        return true;
    }

    private void Deliver(UdpReceiveBatch batch, int count, DatagramHandler handler, Action endOfBatch)
    {
        for (int i = 0; i < count; i++)
        {
            if (batch.Truncated(i))
            {
                continue;
            }
            try
            {
                handler(this, batch.Datagram(i), batch.From(i));
            }
            catch (Exception ex)
            {
                // A handler bug must not stop the gateway, nor cost the rest of the batch.
                _metrics?.HandlerFailed(HandlerFailureSites.UdpReceive);
                _logger?.HandlerFailed(ex);
            }
        }
        try
        {
            endOfBatch();
        }
        catch (Exception ex)
        {
            _metrics?.HandlerFailed(HandlerFailureSites.UdpReceive);
            _logger?.HandlerFailed(ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _socket.Dispose();
        if (_loop is not null)
        {
            await _loopDone.Task.ConfigureAwait(false);
        }
        _stop.Dispose();
    }
}
