using System.Net;
using System.Net.Sockets;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Integration.Tests.Support;

/// <summary>
/// A UDP front on 127.0.0.1 for one client that forwards to whichever gateway it currently points at, as a load
/// balancer whose choice changes (failover, rebalancing): the client sees one server address, every gateway sees
/// one client address (the switch's upstream socket). Replies from any gateway go back to the client. Lossless.
/// </summary>
public sealed class GatewaySwitch : IAsyncDisposable
{
    private readonly Socket _front;
    private readonly Socket _back;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _up;
    private readonly Task _down;
    private volatile SocketAddress _gateway;
    private volatile SocketAddress? _client;

    public GatewaySwitch(IPEndPoint gateway)
    {
        _gateway = gateway.Serialize();
        _front = Bind();
        _back = Bind();
        Endpoint = (IPEndPoint)_front.LocalEndPoint!;
        _up = Task.Run(() => Pump(_front, fromClient: true));
        _down = Task.Run(() => Pump(_back, fromClient: false));
    }

    /// <summary>Where the client sends.</summary>
    public IPEndPoint Endpoint { get; }

    /// <summary>From now on, the client's datagrams go to <paramref name="gateway"/>.</summary>
    public void SwitchTo(IPEndPoint gateway) => _gateway = gateway.Serialize();

    private static Socket Bind()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return s;
    }

    private async Task Pump(Socket from, bool fromClient)
    {
        var buffer = new byte[8192];
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
            if (fromClient)
            {
                _client = SocketAddresses.Copy(source);
            }
            var (socket, destination) = fromClient ? (_back, _gateway) : (_front, _client);
            if (destination is null)
            {
                continue;
            }
            try
            {
                await socket.SendToAsync(buffer.AsMemory(0, n), SocketFlags.None, destination);
            }
            catch (SocketException)
            {
            }
        }
    }

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
