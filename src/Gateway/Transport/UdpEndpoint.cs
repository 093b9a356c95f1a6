using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Gateway.Transport;

/// <summary>Receives one datagram. The span and the address are reused after the call returns: copy what you keep.</summary>
public delegate void DatagramHandler(UdpEndpoint endpoint, ReadOnlySpan<byte> datagram, SocketAddress from);

/// <summary>
/// One bound UDP socket with a receive loop on a pooled buffer and the allocation-free
/// <see cref="SocketAddress"/> overloads. Sending is synchronous (a UDP send does not block for long)
/// and thread-safe.
/// </summary>
public sealed class UdpEndpoint : IAsyncDisposable
{
    /// <summary>Largest datagram accepted (digest §1.4: accept up to 8192).</summary>
    public const int MaxDatagram = 8192;

    private readonly Socket _socket;
    private readonly ILogger? _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public UdpEndpoint(IPEndPoint bind, int receiveBufferBytes = 4 << 20, ILogger? logger = null)
    {
        _logger = logger;
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
        _socket.Bind(bind);
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    public IPEndPoint LocalEndPoint { get; }

    public AddressFamily AddressFamily => LocalEndPoint.AddressFamily;

    public void Start(DatagramHandler handler)
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("already started");
        }
        _loop = Task.Run(() => ReceiveLoop(handler));
    }

    /// <summary>Sends and counts the datagram in <paramref name="metrics"/> (packets and bytes out).</summary>
    public void SendTo(ReadOnlySpan<byte> datagram, SocketAddress to, RtmfpMetrics metrics)
    {
        SendTo(datagram, to);
        metrics.PacketsOut.Add(1);
        metrics.BytesOut.Add(datagram.Length);
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
            _logger?.LogDebug("UDP send to {Address} failed: {Error}", to, ex.SocketErrorCode);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task ReceiveLoop(DatagramHandler handler)
    {
        var buffer = GC.AllocateArray<byte>(MaxDatagram, pinned: true);
        var from = new SocketAddress(_socket.AddressFamily);
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            int received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, from, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException ex)
            {
                // ICMP port unreachable (ConnectionReset) and truncation are per-datagram conditions.
                _logger?.LogDebug("UDP receive error {Error}", ex.SocketErrorCode);
                continue;
            }
            try
            {
                handler(this, buffer.AsSpan(0, received), from);
            }
            catch (Exception ex)
            {
                // A handler bug must not stop the gateway; peer input is never supposed to get here.
                _logger?.LogError(ex, "datagram handler failed");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _socket.Dispose();
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        _stop.Dispose();
    }
}
