using System.Net;
using System.Net.Sockets;

namespace Rtmfp.Integration.Tests.Support;

/// <summary>
/// A UDP relay on 127.0.0.1 between one client and a server that drops, duplicates and reorders
/// datagrams with a seeded random source per direction, so each direction's decisions depend only on its own
/// datagrams and not on how the two pumps interleave: a failure names the seed (<see cref="ToString"/>) to replay it
/// with. The client talks to <see cref="Endpoint"/>; the server sees the relay's upstream socket as the client.
/// </summary>
public sealed class LossyRelay : IAsyncDisposable
{
    private readonly Socket _front;
    private readonly Socket _back;
    private readonly SocketAddress _server;
    private readonly double _duplicate;
    private readonly double _reorder;
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
        Seed = seed;
        _front = Bind();
        _back = Bind();
        Endpoint = (IPEndPoint)_front.LocalEndPoint!;
        // Each pump owns its Random: the client-to-server direction draws from the seed, the other from its complement.
        _up = Task.Run(() => Pump(_front, _back, fromClient: true, new Random(seed)));
        _down = Task.Run(() => Pump(_back, _front, fromClient: false, new Random(~seed)));
    }

    public IPEndPoint Endpoint { get; }

    public int Seed { get; }

    /// <summary>Drop probability; may be changed while running (1.0 = the path goes dark).</summary>
    public double Loss { get; set; }

    public long Forwarded;
    public long Dropped;
    public long Duplicated;
    public long Reordered;

    /// <summary>Datagrams sent on towards the server (client to server) and towards the client.</summary>
    public long ForwardedUp;
    public long ForwardedDown;

    /// <summary>The seed and the counts, for failure messages.</summary>
    public override string ToString() =>
        $"relay seed {Seed}: forwarded {Forwarded} ({ForwardedUp} up, {ForwardedDown} down), dropped {Dropped}, duplicated {Duplicated}, reordered {Reordered}";

    private static Socket Bind()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return s;
    }

    private async Task Pump(Socket from, Socket to, bool fromClient, Random random)
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
            if (random.NextDouble() < Loss)
            {
                Interlocked.Increment(ref Dropped);
                continue;
            }
            var datagram = buffer.AsSpan(0, n).ToArray();
            if (held is null && random.NextDouble() < _reorder)
            {
                // Hold this one back and send it after the next datagram.
                held = datagram;
                Interlocked.Increment(ref Reordered);
                continue;
            }
            await Send(to, datagram, destination, fromClient);
            if (random.NextDouble() < _duplicate)
            {
                Interlocked.Increment(ref Duplicated);
                await Send(to, datagram, destination, fromClient);
            }
            if (held is not null)
            {
                await Send(to, held, destination, fromClient);
                held = null;
            }
        }
    }

    private async Task Send(Socket socket, byte[] datagram, SocketAddress to, bool up)
    {
        try
        {
            await socket.SendToAsync(datagram, SocketFlags.None, to);
            Interlocked.Increment(ref Forwarded);
            if (up)
            {
                Interlocked.Increment(ref ForwardedUp);
            }
            else
            {
                Interlocked.Increment(ref ForwardedDown);
            }
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
