using System.Net;
using System.Net.Sockets;

namespace Rtmfp.Integration.Tests.Support;

/// <summary>
/// A UDP relay on 127.0.0.1 between one client and a server that drops, duplicates and reorders
/// datagrams with a seeded random source. The client talks to <see cref="Endpoint"/>; the server
/// sees the relay's upstream socket as the client.
/// </summary>
public sealed class LossyRelay : IAsyncDisposable
{
    private readonly Socket _front;
    private readonly Socket _back;
    private readonly SocketAddress _server;
    private readonly double _duplicate;
    private readonly double _reorder;
    private readonly Random _random;
    private readonly Lock _randomLock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _up;
    private readonly Task _down;
    private SocketAddress? _client;

    public LossyRelay(IPEndPoint server, int seed, double loss, double duplicate, double reorder)
    {
        _server = server.Serialize();
        Loss = loss;
        _duplicate = duplicate;
        _reorder = reorder;
        _random = new Random(seed);
        _front = Bind();
        _back = Bind();
        Endpoint = (IPEndPoint)_front.LocalEndPoint!;
        _up = Task.Run(() => Pump(_front, _back, fromClient: true));
        _down = Task.Run(() => Pump(_back, _front, fromClient: false));
    }

    public IPEndPoint Endpoint { get; }

    /// <summary>Drop probability; may be changed while running (1.0 = the path goes dark).</summary>
    public double Loss { get; set; }

    public long Forwarded;
    public long Dropped;
    public long Duplicated;
    public long Reordered;

    private static Socket Bind()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return s;
    }

    private double Next()
    {
        lock (_randomLock)
        {
            return _random.NextDouble();
        }
    }

    private async Task Pump(Socket from, Socket to, bool fromClient)
    {
        var buffer = new byte[8192];
        byte[]? held = null;
        var source = new SocketAddress(AddressFamily.InterNetwork);
        while (!_stop.IsCancellationRequested)
        {
            int n;
            try
            {
                n = await from.ReceiveFromAsync(buffer, SocketFlags.None, source, _stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                break;
            }
            catch (SocketException)
            {
                continue;
            }
            SocketAddress? destination;
            if (fromClient)
            {
                // The client may move (mobility): follow its latest address.
                _client = CopyOf(source);
                destination = _server;
            }
            else
            {
                destination = _client;
            }
            if (destination is null)
            {
                continue;
            }
            if (Next() < Loss)
            {
                Interlocked.Increment(ref Dropped);
                continue;
            }
            var datagram = buffer.AsSpan(0, n).ToArray();
            if (held is null && Next() < _reorder)
            {
                // Hold this one back and send it after the next datagram.
                held = datagram;
                Interlocked.Increment(ref Reordered);
                continue;
            }
            await Send(to, datagram, destination);
            if (Next() < _duplicate)
            {
                Interlocked.Increment(ref Duplicated);
                await Send(to, datagram, destination);
            }
            if (held is not null)
            {
                await Send(to, held, destination);
                held = null;
            }
        }
    }

    private async Task Send(Socket socket, byte[] datagram, SocketAddress to)
    {
        try
        {
            await socket.SendToAsync(datagram, SocketFlags.None, to);
            Interlocked.Increment(ref Forwarded);
        }
        catch (SocketException)
        {
        }
    }

    private static SocketAddress CopyOf(SocketAddress address) => Rtmfp.Shared.Wire.SocketAddresses.Copy(address);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _front.Dispose();
        _back.Dispose();
        try
        {
            await Task.WhenAll(_up, _down);
        }
        catch (Exception)
        {
        }
        _stop.Dispose();
    }
}
