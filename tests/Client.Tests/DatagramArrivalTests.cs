using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Rtmfp.Client;
using Rtmfp.ClientCli;
using Xunit;

namespace Rtmfp.Client.Tests;

/// <summary>
/// The arrival time of a datagram, apart from when a busy reader got to it (RtmfpClientOptions.KernelReceiveTimestamps;
/// bench/fanout.sh reports the players' delay up to their sockets with it).
/// </summary>
public sealed class DatagramArrivalTests
{
    [Fact]
    public void The_kernel_receive_time_is_when_the_datagram_came_not_when_it_was_read()
    {
        Assert.True(OperatingSystem.IsLinux(), "the load tools and this test run on Linux");
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var buffer = new byte[64];

        // The first query switches the socket's timestamps on (a datagram that came before may have none: then the read
        // time stands); an arrival is never after its read.
        sender.SendTo(new byte[] { 1 }, receiver.LocalEndPoint!);
        receiver.Receive(buffer);
        long firstRead = Stopwatch.GetTimestamp();
        Assert.True(DatagramArrival.FromKernel(receiver, firstRead) <= firstRead);

        // Linux switches receive stamping on in deferred work when no other socket had it on, so a datagram right after
        // the first query may still come unstamped (the kernel then answers with the time of the query): a few tries.
        double lateMs = 0;
        for (int attempt = 0; attempt < 5 && lateMs < 60; attempt++)
        {
            Thread.Sleep(20);
            sender.SendTo(new byte[] { 2 }, receiver.LocalEndPoint!);
            Thread.Sleep(80); // the reader is late
            receiver.Receive(buffer);
            long readAt = Stopwatch.GetTimestamp();
            lateMs = Stopwatch.GetElapsedTime(DatagramArrival.FromKernel(receiver, readAt), readAt).TotalMilliseconds;
        }
        Assert.InRange(lateMs, 60, 2_000);
    }

    [Fact]
    public void An_incoming_flows_messages_carry_the_arrival_of_the_datagram_that_completed_them()
    {
        var flow = new RtmfpIncomingFlow(3, new byte[] { 0x01 });
        IMessageSink sink = flow;
        DatagramArrival.Set(1_000);
        sink.Deliver(new byte[] { 0xAA });
        DatagramArrival.Set(2_000);
        sink.Deliver(new byte[] { 0xBB, 0xCC });

        Assert.True(flow.ArrivedMessages.TryRead(out var first));
        Assert.Equal(1_000, first.ArrivedTimestamp);
        Assert.Equal(new byte[] { 0xAA }, first.Message.ToArray());
        // The payload-only reader reads the same queue.
        Assert.True(flow.Messages.TryRead(out var second));
        Assert.Equal(new byte[] { 0xBB, 0xCC }, second.ToArray());
        Assert.False(flow.Messages.TryRead(out _));
        DatagramArrival.Set(0);
    }

    [Fact(Timeout = 30_000)]
    public async Task The_payload_reader_waits_reads_and_completes_with_the_flow()
    {
        var flow = new RtmfpIncomingFlow(3, new byte[] { 0x01 });
        IMessageSink sink = flow;
        var read = Task.Run(async () =>
        {
            var all = new List<byte>();
            await foreach (var m in flow.Messages.ReadAllAsync(TestContext.Current.CancellationToken))
            {
                all.AddRange(m.ToArray());
            }
            return all;
        });
        sink.Deliver(new byte[] { 1, 2 });
        sink.Deliver(new byte[] { 3 });
        sink.OnReceiveFlowComplete();
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(new byte[] { 1, 2, 3 }, await read.WaitAsync(TimeSpan.FromSeconds(10), ct));
        await flow.Messages.Completion.WaitAsync(TimeSpan.FromSeconds(10), ct);
    }

    [Fact]
    public void Relay_statistics_keep_the_delay_up_to_the_socket_beside_the_delay_as_read()
    {
        var stats = new RelayPlayerStatistics();
        stats.OnFrame(video: true, 0, delayMs: 30, socketDelayMs: 4);
        stats.OnFrame(video: true, 1, delayMs: 120, socketDelayMs: 60);
        stats.OnFrame(video: false, 0, delayMs: 2);
        Assert.Equal(120, stats.Summarize().Max);
        Assert.Equal(60, stats.SummarizeAtSocket().Max);
        Assert.Equal(3, stats.SocketDelays.Count);
        Assert.Equal(2, stats.SocketDelays[2]); // without a socket time, the delay as read
    }
}
