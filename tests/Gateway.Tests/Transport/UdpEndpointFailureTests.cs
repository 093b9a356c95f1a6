using System.Net;
using System.Net.Sockets;
using Rtmfp.Gateway.Transport;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Gateway.Tests.Transport;

/// <summary>A handler that throws does not stop the receive loop, and each exception is counted (rtmfp.handler.failures, where=udp_receive).</summary>
public sealed class UdpEndpointFailureTests
{
    [Fact(Timeout = 60_000)]
    public async Task A_throwing_handler_is_counted_and_the_loop_keeps_receiving()
    {
        using var metrics = new RtmfpMetrics();
        await using var endpoint = new UdpEndpoint(new IPEndPoint(IPAddress.Loopback, 0), 1 << 20, metrics: metrics);
        int calls = 0;
        endpoint.Start((_, _, _) =>
        {
            Interlocked.Increment(ref calls);
            throw new InvalidOperationException("handler bug (deliberate)");
        });
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        for (int sent = 1; sent <= 2; sent++)
        {
            socket.SendTo(new byte[16], SocketFlags.None, endpoint.LocalEndPoint);
            while (metrics.HandlerFailureCount < sent && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10, TestContext.Current.CancellationToken);
            }
        }
        Assert.Equal(2, Volatile.Read(ref calls));
        Assert.Equal(2, metrics.HandlerFailureCount);
    }
}
