using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Rtmfp.Gateway.Tests.Support;
using Rtmfp.Gateway.Transport;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Integration.Tests.Support;

namespace Rtmfp.Gateway.Tests.Transport;

/// <summary>
/// The gateway's UDP transport on real loopback sockets: <c>recvmmsg</c> batches (each datagram with its own sender,
/// cut ones dropped), UDP_SEGMENT sends and their fallbacks, the receive loops and the endpoint's start and stop.
/// </summary>
public sealed class UdpTransportTests : IDisposable
{
    private readonly List<Socket> _sockets = [];
    private readonly RtmfpMetrics _metrics = new();
    private readonly MetricCollector _counters;

    public UdpTransportTests() => _counters = new MetricCollector(_metrics);

    public void Dispose()
    {
        foreach (var s in _sockets)
        {
            s.Dispose();
        }
        _counters.Dispose();
        _metrics.Dispose();
    }

    private Socket Udp(string address = "127.0.0.1", int receiveTimeoutMs = 2000)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = receiveTimeoutMs, ReceiveBufferSize = 1 << 20 };
        s.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
        _sockets.Add(s);
        return s;
    }

    private static byte[] Payload(int length, byte seed) => Enumerable.Range(0, length).Select(i => (byte)(seed + i)).ToArray();

    /// <summary>Every datagram <paramref name="socket"/> receives until it stays quiet for <paramref name="quietMs"/>.</summary>
    private static List<byte[]> Drain(Socket socket, int quietMs = 300)
    {
        socket.ReceiveTimeout = quietMs;
        var buffer = new byte[70_000];
        var datagrams = new List<byte[]>();
        while (true)
        {
            try
            {
                int n = socket.Receive(buffer);
                datagrams.Add(buffer[..n]);
            }
            catch (SocketException)
            {
                return datagrams;
            }
        }
    }

    private static async Task WaitFor(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }

    [Fact(Timeout = 30_000)]
    public void One_recvmmsg_takes_every_queued_datagram_with_its_own_sender_and_marks_a_cut_one()
    {
        Assert.SkipUnless(UdpReceiveBatch.IsPlatformSupported, "recvmmsg is Linux only");
        var receiver = Udp();
        var a = Udp();
        var b = Udp("127.0.0.2");
        var to = receiver.LocalEndPoint!;
        a.SendTo(Payload(10, 1), to);
        b.SendTo(Payload(1200, 2), to);
        a.SendTo(Payload(UdpEndpoint.MaxDatagram + 100, 3), to); // larger than the receive buffer: cut by the kernel
        b.SendTo(Payload(1, 4), to);
        var batch = new UdpReceiveBatch(AddressFamily.InterNetwork);

        // All four were queued before the call: one call returns them all, in order.
        Assert.Equal(4, batch.Receive(receiver, out int errno));
        Assert.Equal(0, errno);
        Assert.Equal(Payload(10, 1), batch.Datagram(0).ToArray());
        Assert.Equal(Payload(1200, 2), batch.Datagram(1).ToArray());
        Assert.Equal(UdpEndpoint.MaxDatagram, batch.Datagram(2).Length);
        Assert.Equal(Payload(1, 4), batch.Datagram(3).ToArray());
        Assert.Equal([false, false, true, false], Enumerable.Range(0, 4).Select(batch.Truncated));
        Assert.Equal(a.LocalEndPoint, Sender(batch, 0));
        Assert.Equal(b.LocalEndPoint, Sender(batch, 1));
        Assert.Equal(a.LocalEndPoint, Sender(batch, 2));
        Assert.Equal(b.LocalEndPoint, Sender(batch, 3));

        // The next call reuses the buffers: a short datagram after the cut one is whole, from its own sender.
        b.SendTo(Payload(3, 5), to);
        Assert.Equal(1, batch.Receive(receiver, out _));
        Assert.False(batch.Truncated(0));
        Assert.Equal(Payload(3, 5), batch.Datagram(0).ToArray());
        Assert.Equal(b.LocalEndPoint, Sender(batch, 0));

        // Nothing queued: the socket's receive timeout ends the wait with -1 and EAGAIN (the loop then polls).
        receiver.ReceiveTimeout = 50;
        Assert.Equal(-1, batch.Receive(receiver, out errno));
        Assert.Equal(Errno.Eagain, errno);
    }

    private static IPEndPoint Sender(UdpReceiveBatch batch, int index) =>
        (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(batch.From(index));

    [Fact(Timeout = 30_000)]
    public void A_segmented_send_arrives_as_separate_datagrams_and_is_counted_once_per_datagram()
    {
        Assert.SkipUnless(UdpSegmentation.IsPlatformSupported, "UDP_SEGMENT is Linux only");
        using var endpoint = new UdpEndpointHandle(new UdpEndpoint(new IPEndPoint(IPAddress.Loopback, 0), 1 << 20, metrics: _metrics));
        var client = Udp();
        var payload = Payload(2500, 7);
        Assert.True(endpoint.Value.CanSegment);
        endpoint.Value.SendSegmented(payload, 1000, client.LocalEndPoint!.Serialize(), 3, _metrics);
        var received = Drain(client);
        Assert.Equal([1000, 1000, 500], received.Select(d => d.Length));
        Assert.Equal(payload, received.SelectMany(d => d).ToArray());
        Assert.Equal(1, endpoint.Value.SegmentedSends);
        Assert.Equal(3, _counters["rtmfp.gateway.packets{transmit}"]);
        Assert.Equal(2500, _counters["rtmfp.gateway.io{transmit}"]);

        // More segments than the kernel takes in one call (EINVAL): this batch goes one by one, the next may segment.
        var many = Payload(100 * 200, 9);
        endpoint.Value.SendSegmented(many, 100, client.LocalEndPoint!.Serialize(), 200, _metrics);
        received = Drain(client);
        Assert.Equal(200, received.Count);
        Assert.Equal(many, received.SelectMany(d => d).ToArray());
        Assert.True(endpoint.Value.CanSegment);
        Assert.Equal(1, endpoint.Value.SegmentedSends);
        Assert.Equal(203, _counters["rtmfp.gateway.packets{transmit}"]);
        Assert.Equal(2500 + 20_000, _counters["rtmfp.gateway.io{transmit}"]);

        // Segmentation switched off: one by one, the same datagrams.
        endpoint.Value.CanSegment = false;
        endpoint.Value.SendSegmented(payload, 1000, client.LocalEndPoint!.Serialize(), 3, _metrics);
        Assert.Equal([1000, 1000, 500], Drain(client).Select(d => d.Length));
        Assert.Equal(1, endpoint.Value.SegmentedSends);
        Assert.Equal(206, _counters["rtmfp.gateway.packets{transmit}"]);
    }

    [Fact(Timeout = 30_000)]
    public void The_segmentation_probe_and_errors_are_those_of_the_kernel()
    {
        Assert.SkipUnless(UdpSegmentation.IsPlatformSupported, "UDP_SEGMENT is Linux only");
        using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Assert.False(UdpSegmentation.IsSupportedBy(tcp)); // no UDP option on a TCP socket
        var udp = Udp();
        Assert.True(UdpSegmentation.IsSupportedBy(udp));
        var client = Udp();
        var to = client.LocalEndPoint!.Serialize();
        Assert.Equal(Errno.Einval, UdpSegmentation.Send(udp, Payload(100 * 200, 1), 100, to));
        Assert.Equal(0, UdpSegmentation.Send(udp, Payload(300, 1), 100, to));
        Assert.Equal(3, Drain(client).Count);
    }

    [Fact(Timeout = 30_000)]
    public void A_datagram_the_kernel_refuses_is_logged_not_thrown()
    {
        var logger = new ListLogger();
        using var endpoint = new UdpEndpointHandle(new UdpEndpoint(new IPEndPoint(IPAddress.Loopback, 0), 1 << 20, logger, _metrics));
        var client = Udp();
        endpoint.Value.SendTo(new byte[70_000], client.LocalEndPoint!.Serialize()); // above UDP's 65,507 bytes
        Assert.Equal(1, logger.Count(1012));
        if (endpoint.Value.CanSegment)
        {
            // A segmented batch above what one datagram of UDP carries: lost like a datagram, logged, segmentation kept.
            endpoint.Value.SendSegmented(new byte[70_000], 1400, client.LocalEndPoint!.Serialize(), 50, _metrics);
            Assert.Equal(1, logger.Count(1011));
            Assert.True(endpoint.Value.CanSegment);
        }
        Assert.Empty(Drain(client));
        Assert.Equal(0, _counters["rtmfp.gateway.packets{transmit}"]);
    }

    [Fact(Timeout = 30_000)]
    public async Task Start_twice_is_refused_and_after_stop_the_port_is_free_and_sends_are_ignored()
    {
        var endpoint = new UdpEndpoint(new IPEndPoint(IPAddress.Loopback, 0), 1 << 20, metrics: _metrics);
        var port = endpoint.LocalEndPoint.Port;
        var received = new ConcurrentQueue<byte[]>();
        endpoint.Start((_, d, _) => received.Enqueue(d.ToArray()));
        Assert.Throws<InvalidOperationException>(() => endpoint.Start((_, _, _) => { }));
        var client = Udp();
        client.SendTo(Payload(5, 1), endpoint.LocalEndPoint);
        await WaitFor(() => received.Count == 1, "the datagram");

        await endpoint.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        using var again = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        again.Bind(new IPEndPoint(IPAddress.Loopback, port)); // the socket is closed, not only its loop stopped
        endpoint.SendTo(Payload(5, 1), client.LocalEndPoint!.Serialize(), _metrics);
        endpoint.SendSegmented(Payload(50, 1), 10, client.LocalEndPoint!.Serialize(), 5, _metrics);
        Assert.Single(received);

        // An endpoint never started stops at once.
        await new UdpEndpoint(new IPEndPoint(IPAddress.Loopback, 0)).DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }

    [Fact(Timeout = 30_000)]
    public void An_IPv6_endpoint_leaves_the_IPv4_port_of_the_same_number_free()
    {
        UdpEndpoint v6;
        try
        {
            v6 = new UdpEndpoint(new IPEndPoint(IPAddress.IPv6Any, 0));
        }
        catch (SocketException)
        {
            Assert.Skip("no IPv6 here");
            return;
        }
        using var handle = new UdpEndpointHandle(v6);
        using var v4 = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        v4.Bind(new IPEndPoint(IPAddress.Any, v6.LocalEndPoint.Port)); // 0.0.0.0:1935 next to [::]:1935
        Assert.Equal(AddressFamily.InterNetworkV6, v6.AddressFamily);
    }

    [Theory(Timeout = 30_000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Each_datagram_reaches_the_handler_once_and_a_throwing_handler_costs_neither_the_batch_nor_the_loop(bool batched)
    {
        var endpoint = new UdpEndpoint(new IPEndPoint(IPAddress.Loopback, 0), 1 << 20, metrics: _metrics);
        await using var _ = endpoint;
        var received = new ConcurrentQueue<(byte Marker, EndPoint From)>();
        int batches = 0, inBatches = 0;
        endpoint.Start((_, d, from) =>
        {
            received.Enqueue((d[0], new IPEndPoint(IPAddress.Any, 0).Create(from)));
            if (d[0] % 4 == 0)
            {
                throw new InvalidOperationException("handler bug (deliberate)");
            }
        }, batched ? () =>
        {
            Interlocked.Exchange(ref inBatches, received.Count);
            if (Interlocked.Increment(ref batches) == 1)
            {
                throw new InvalidOperationException("end-of-batch bug (deliberate)");
            }
        } : null);
        var a = Udp();
        var b = Udp("127.0.0.3");
        for (byte i = 1; i <= 12; i++)
        {
            (i % 2 == 0 ? a : b).SendTo(new[] { i }, endpoint.LocalEndPoint);
            if (i == 6)
            {
                // Larger than the gateway accepts: cut by the kernel, then dropped, never handed over.
                a.SendTo(Enumerable.Repeat((byte)99, UdpEndpoint.MaxDatagram + 1).ToArray(), endpoint.LocalEndPoint);
            }
        }
        bool batching = batched && UdpReceiveBatch.IsPlatformSupported;
        await WaitFor(() => received.Count >= 12 && (!batching || Volatile.Read(ref inBatches) >= 12), "12 datagrams");
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (byte)i), received.Select(r => r.Marker).Order());
        Assert.All(received, r => Assert.Equal((r.Marker % 2 == 0 ? a : b).LocalEndPoint, r.From));
        long failures = 3 + (batching ? 1 : 0);
        Assert.Equal(failures, _metrics.HandlerFailureCount);

        // An idle socket: the loop wakes on its receive timeout (250 ms) and still delivers what comes after.
        var idleSince = received.Count;
        await Task.Delay(600, TestContext.Current.CancellationToken); // the condition under test, not a synchronization
        a.SendTo(new byte[] { 13 }, endpoint.LocalEndPoint);
        await WaitFor(() => received.Count == idleSince + 1, "the datagram after an idle period");
        Assert.Equal(13, received.Last().Marker);
    }

    /// <summary>Disposes an endpoint synchronously at the end of a test.</summary>
    private sealed class UdpEndpointHandle(UdpEndpoint value) : IDisposable
    {
        public UdpEndpoint Value { get; } = value;

        public void Dispose() => Value.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
    }
}
