using Rtmfp.Cluster;
using System.Net;
using System.Net.Sockets;
using Rtmfp.Gateway.Transport;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Gateway.Tests.Transport;

/// <summary>
/// Batches of datagrams to one client leave in one segmented sendmsg (UDP_SEGMENT) and arrive as the
/// separate datagrams they were, in order; anything that breaks the segmentation rules sends first.
/// </summary>
public sealed class DatagramBatchTests : IAsyncLifetime
{
    private readonly RtmfpMetrics _metrics = new();
    private UdpEndpoint _endpoint = null!;
    private readonly List<Socket> _receivers = [];

    public ValueTask InitializeAsync()
    {
        _endpoint = new UdpEndpoint(new IPEndPoint(IPAddress.Loopback, 0), 1 << 20);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _endpoint.DisposeAsync();
        foreach (var r in _receivers)
        {
            r.Dispose();
        }
        _metrics.Dispose();
    }

    private (Socket Socket, SocketAddress Address) Receiver()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 1 << 20 };
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        s.ReceiveTimeout = 500;
        _receivers.Add(s);
        return (s, s.LocalEndPoint!.Serialize());
    }

    private static List<byte[]> ReceiveAll(Socket socket, int expected)
    {
        var got = new List<byte[]>();
        var buffer = new byte[70_000];
        while (got.Count < expected)
        {
            int n;
            try
            {
                n = socket.Receive(buffer);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.TimedOut)
            {
                break;
            }
            got.Add(buffer[..n]);
        }
        return got;
    }

    private void SendAll(IEnumerable<byte[]> datagrams, SocketAddress to, Action<DatagramBatch>? afterEach = null)
    {
        var batch = new DatagramBatch();
        foreach (var d in datagrams)
        {
            batch.Add(_endpoint, d, to, _metrics);
            afterEach?.Invoke(batch);
        }
        batch.Flush();
    }

    private static byte[] Datagram(int length, int seed)
    {
        var d = new byte[length];
        new Random(seed).NextBytes(d);
        return d;
    }

    [Fact]
    public void Segmentation_is_available_on_linux()
    {
        Assert.Equal(OperatingSystem.IsLinux(), _endpoint.CanSegment);
    }

    [Fact]
    public void Equal_datagrams_and_a_short_last_leave_in_one_call_and_arrive_separately_in_order()
    {
        var (socket, address) = Receiver();
        var sent = new List<byte[]>();
        for (int i = 0; i < 5; i++)
        {
            sent.Add(Datagram(1204, i));
        }
        sent.Add(Datagram(300, 99));
        var batch = new DatagramBatch();
        foreach (var d in sent)
        {
            batch.Add(_endpoint, d, address, _metrics);
        }
        Assert.Equal(6, batch.Count);
        batch.Flush();
        Assert.Equal(0, batch.Count);

        Assert.Equal(sent, ReceiveAll(socket, sent.Count + 1));
        Assert.Equal(_endpoint.CanSegment ? 1 : 0, _endpoint.SegmentedSends);
    }

    [Fact]
    public void Sizes_that_break_the_rules_send_what_was_collected_first()
    {
        var (socket, address) = Receiver();
        // A larger one after smaller ones, and anything after a short one, start a new batch.
        int[] sizes = [1204, 1204, 600, 1204, 1204, 1204, 80, 80, 1500];
        var sent = sizes.Select((n, i) => Datagram(n, i)).ToList();
        SendAll(sent, address);

        Assert.Equal(sent, ReceiveAll(socket, sent.Count + 1));
        // [1204 1204 600] [1204 1204 1204 80] [80] [1500]
        Assert.Equal(_endpoint.CanSegment ? 2 : 0, _endpoint.SegmentedSends);
    }

    [Theory]
    [InlineData(4, 3, 1)] // [A A A] [B B B] [A A A] [B B B]: one call
    [InlineData(DatagramBatch.MaxBursts + 6, 1, 2)] // more bursts than a call takes: 64, then the 6 left
    public void Bursts_to_alternating_clients_each_arrive_in_order_in_as_few_calls_as_fit(int bursts, int perBurst, int calls)
    {
        var (a, addressA) = Receiver();
        var (b, addressB) = Receiver();
        var batch = new DatagramBatch();
        var toA = new List<byte[]>();
        var toB = new List<byte[]>();
        for (int i = 0; i < bursts * perBurst; i++)
        {
            var d = Datagram(700, i);
            bool first = i / perBurst % 2 == 0;
            (first ? toA : toB).Add(d);
            batch.Add(_endpoint, d, first ? addressA : addressB, _metrics);
            Assert.True(batch.Bursts <= DatagramBatch.MaxBursts);
        }
        batch.Flush();

        Assert.Equal(toA, ReceiveAll(a, toA.Count + 1));
        Assert.Equal(toB, ReceiveAll(b, toB.Count + 1));
        Assert.Equal(OperatingSystem.IsLinux() ? calls : 0, _endpoint.MultiSends);
    }

    [Fact]
    public void A_long_burst_is_cut_at_the_segment_limit_and_every_datagram_arrives()
    {
        var (socket, address) = Receiver();
        var sent = Enumerable.Range(0, 150).Select(i => Datagram(400, i)).ToList();
        SendAll(sent, address, batch => Assert.True(batch.Count < UdpSegmentation.MaxSegments));

        Assert.Equal(sent, ReceiveAll(socket, sent.Count + 1));
        Assert.Equal(_endpoint.CanSegment ? 3 : 0, _endpoint.SegmentedSends);
    }

    [Fact]
    public void A_batch_fills_its_buffer_to_the_last_byte_and_no_further()
    {
        var (socket, address) = Receiver();
        // 1,300-byte datagrams: the 50th ends exactly at the 65,000-byte buffer, the 51st starts the next batch.
        Assert.Equal(0, UdpSegmentation.MaxBatchBytes % 1300);
        int fit = UdpSegmentation.MaxBatchBytes / 1300;
        var sent = Enumerable.Range(0, fit + 1).Select(i => Datagram(1300, i)).ToList();
        var counts = new List<int>();
        SendAll(sent, address, batch => counts.Add(batch.Count));

        Assert.Equal(sent, ReceiveAll(socket, sent.Count + 1));
        Assert.Equal(fit, counts[fit - 1]);
        Assert.Equal(1, counts[fit]);
        Assert.Equal(_endpoint.CanSegment ? 1 : 0, _endpoint.SegmentedSends); // the 51st went alone
    }

    [Fact]
    public void Without_segmentation_the_same_datagrams_go_one_by_one()
    {
        _endpoint.CanSegment = false;
        var (socket, address) = Receiver();
        var sent = Enumerable.Range(0, 10).Select(i => Datagram(i < 9 ? 1204 : 17, i)).ToList();
        SendAll(sent, address);

        Assert.Equal(sent, ReceiveAll(socket, sent.Count + 1));
        Assert.Equal(0, _endpoint.SegmentedSends);
    }

    [Fact]
    public void Bursts_to_several_clients_ended_together_leave_in_one_call_and_each_arrives_in_order()
    {
        var receivers = Enumerable.Range(0, 3).Select(_ => Receiver()).ToList();
        var sent = receivers.Select(_ => new List<byte[]>()).ToList();
        var batch = new DatagramBatch();
        for (int r = 0; r < receivers.Count; r++)
        {
            for (int i = 0; i < 4; i++)
            {
                var d = Datagram(i < 3 ? 1204 : 500, 10 * r + i);
                sent[r].Add(d);
                batch.Add(_endpoint, d, receivers[r].Address, _metrics);
            }
            batch.EndBurst(); // what a player's flush does inside the fan-out's deferral scope
        }
        Assert.Equal(3, batch.Bursts);
        batch.Flush();
        Assert.Equal(0, batch.Bursts);

        for (int r = 0; r < receivers.Count; r++)
        {
            Assert.Equal(sent[r], ReceiveAll(receivers[r].Socket, 5));
        }
        Assert.Equal(OperatingSystem.IsLinux() ? 1 : 0, _endpoint.MultiSends);
        Assert.Equal(_endpoint.CanSegment ? 3 : 0, _endpoint.SegmentedSends);
    }

    [Fact]
    public void Held_bursts_that_would_overflow_the_buffer_are_sent_first()
    {
        var receivers = Enumerable.Range(0, 5).Select(_ => Receiver()).ToList();
        var sent = receivers.Select(_ => new List<byte[]>()).ToList();
        var batch = new DatagramBatch();
        // Five full bursts (50 x 1,300 = 65,000 bytes): four fill the buffer, the fifth starts after they went.
        var held = new List<int>();
        for (int r = 0; r < receivers.Count; r++)
        {
            for (int i = 0; i < UdpSegmentation.MaxBatchBytes / 1300; i++)
            {
                var d = Datagram(1300, 100 * r + i);
                sent[r].Add(d);
                batch.Add(_endpoint, d, receivers[r].Address, _metrics);
            }
            batch.EndBurst();
            held.Add(batch.Bursts);
        }
        batch.Flush();

        Assert.Equal([1, 2, 3, 4, 1], held);
        for (int r = 0; r < receivers.Count; r++)
        {
            Assert.Equal(sent[r], ReceiveAll(receivers[r].Socket, sent[r].Count + 1));
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Segmented_sends_also_reach_ipv6_clients()
    {
        if (!Socket.OSSupportsIPv6)
        {
            Assert.Skip("no IPv6 here");
        }
        await using var endpoint = new UdpEndpoint(new IPEndPoint(IPAddress.IPv6Loopback, 0), 1 << 20);
        {
            using var receiver = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 500 };
            receiver.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            using var second = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 500 };
            second.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            var sent = Enumerable.Range(0, 4).Select(i => Datagram(1184, i)).ToList();
            var batch = new DatagramBatch();
            foreach (var d in sent)
            {
                batch.Add(endpoint, d, receiver.LocalEndPoint!.Serialize(), _metrics);
            }
            batch.Flush();
            Assert.Equal(sent, ReceiveAll(receiver, 5));
            Assert.Equal(endpoint.CanSegment ? 1 : 0, endpoint.SegmentedSends);

            // Two IPv6 clients' bursts in one sendmmsg: each message names its 28-byte address.
            var toSecond = Enumerable.Range(10, 3).Select(i => Datagram(1184, i)).ToList();
            foreach (var d in sent)
            {
                batch.Add(endpoint, d, receiver.LocalEndPoint!.Serialize(), _metrics);
            }
            batch.EndBurst();
            foreach (var d in toSecond)
            {
                batch.Add(endpoint, d, second.LocalEndPoint!.Serialize(), _metrics);
            }
            batch.Flush();
            Assert.Equal(sent, ReceiveAll(receiver, 5));
            Assert.Equal(toSecond, ReceiveAll(second, 4));
            Assert.Equal(OperatingSystem.IsLinux() ? 1 : 0, endpoint.MultiSends);
        }
    }
}
