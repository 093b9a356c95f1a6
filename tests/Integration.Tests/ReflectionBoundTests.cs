using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Rtmfp.Client;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Integration.Tests;

/// <summary>
/// The node as a reflector (RFC 7016 §5, issue 11): a flood of IHellos in the name of one address, from many ports,
/// draws at most Rtmfp:Gateway:UnverifiedBytesPerAddress per second onto that address, whatever the flood's rate; the
/// refused answers are counted under error.type; a client from another address connects during the flood, and many
/// clients behind one address (a NAT) all connect though together they ask for more than the budget.
/// </summary>
[Collection("node")]
public class ReflectionBoundTests
{
    private const int BytesPerAddress = 4096;
    private const int BytesPerPrefix = 16384;

    private static Task<RunningNode> StartNodeAsync(int bytesPerAddress = BytesPerAddress) => RunningNode.StartAsync(
        ("Rtmfp:Gateway:UnverifiedBytesPerAddress", bytesPerAddress.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("Rtmfp:Gateway:UnverifiedBytesPerPrefix", BytesPerPrefix.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    [Fact(Timeout = 90_000)]
    public async Task A_forged_source_IHello_flood_draws_at_most_the_configured_bytes_per_second_while_another_client_connects()
    {
        await using var node = await StartNodeAsync();
        using var refused = new RefusalCounter(node.Metrics);
        var to = node.Endpoint.Serialize();
        var epd = EndpointDiscriminator.CreateForUri(node.Uri.ToString());
        // The victim: every port of 127.0.0.1 the flood names as its source receives what the node reflects.
        var victims = Enumerable.Range(0, 8).Select(_ =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return s;
        }).ToArray();
        long reflected = 0, sent = 0, datagrams = 0;
        using var stop = new CancellationTokenSource();
        var receivers = victims.Select(s => Task.Run(async () =>
        {
            var buffer = new byte[2048];
            try
            {
                while (true)
                {
                    int n = await s.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                    Interlocked.Add(ref reflected, n);
                }
            }
            catch (OperationCanceledException)
            {
            }
        })).ToArray();

        var clock = Stopwatch.StartNew();
        var flood = Task.Run(() =>
        {
            var tag = new byte[16];
            var packet = new byte[512];
            var datagram = new byte[600];
            var rng = new Random(7);
            for (int i = 0; clock.Elapsed < TimeSpan.FromSeconds(3); i++)
            {
                rng.NextBytes(tag);
                int plainLength = StartupPacketWriter.WriteIHello(packet, i, epd, tag);
                int n = StartupDatagram.Write(packet.AsSpan(0, plainLength), 0, datagram);
                victims[i & 7].SendTo(datagram.AsSpan(0, n), SocketFlags.None, to);
                sent += n;
                datagrams++;
                if ((i & 63) == 0)
                {
                    Thread.Sleep(1);
                }
            }
        });
        // A client of another address (another /24 as well) connects while the flood runs: once the node is refusing
        // it (the victim's budget used up), not after a fixed sleep.
        await BadInputTests.WaitUntil(() => refused[StartupRefusals.ByteBudget] > 0 || flood.IsCompleted, TimeSpan.FromSeconds(10));
        Assert.True(refused[StartupRefusals.ByteBudget] > 0, $"the flood never reached the byte budget ({Volatile.Read(ref datagrams)} IHellos sent; refused: {refused})");
        var options = new RtmfpClientOptions { LocalEndPoint = new IPEndPoint(IPAddress.Parse("127.0.1.1"), 0) };
        await using (var client = await RtmfpConnection.ConnectAsync(node.Uri.ToString(), options).WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"the client connected after the flood ended ({clock.Elapsed})");
        }
        await flood;
        // What the node still had queued is answered within the same bound: wait until nothing more arrives.
        long last;
        do
        {
            last = Interlocked.Read(ref reflected);
            await Task.Delay(500, TestContext.Current.CancellationToken);
        }
        while (Interlocked.Read(ref reflected) != last);
        double seconds = clock.Elapsed.TotalSeconds;
        stop.Cancel();
        await Task.WhenAll(receivers);
        foreach (var s in victims)
        {
            s.Dispose();
        }

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"flood: {datagrams} IHellos, {sent} B in 3 s; reflected {reflected} B over {seconds:F1} s (bound {BytesPerAddress * (seconds + 1):F0} B); refused: {refused}");
        // A bucket of one second's worth, refilled at the rate: at most (T + 1) × rate over T seconds.
        Assert.InRange(reflected, BytesPerAddress, (long)(BytesPerAddress * (seconds + 1)));
        Assert.True(reflected * 10 < sent, $"reflected {reflected} B of {sent} B sent");
        Assert.True(refused[StartupRefusals.ByteBudget] > 0, $"no refusal under byte_budget: {refused}");
    }

    [Fact(Timeout = 90_000)]
    public async Task Clients_behind_one_address_all_connect_though_together_they_ask_for_more_than_its_budget()
    {
        // The smallest budget allowed: eight RHellos (≈ 180 B each), used up before the clients start. The first client the
        // refilling bucket lets through echoes a cookie bound to the address: the address is proven, and the other 39
        // are not charged any more (docs/decisions.md), so all connect within their IHello retransmissions.
        await using var node = await StartNodeAsync(bytesPerAddress: 1500);
        using var refused = new RefusalCounter(node.Metrics);
        const int Clients = 40;
        var nat = IPAddress.Parse("127.0.2.1");
        // Other hosts behind the NAT start first: their IHellos use up the address's budget before any cookie came back.
        using (var others = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            others.Bind(new IPEndPoint(nat, 0));
            var epd = EndpointDiscriminator.CreateForUri(node.Uri.ToString());
            var packet = new byte[512];
            var datagram = new byte[600];
            var tag = new byte[16];
            for (int i = 0; i < 20; i++)
            {
                tag[0] = (byte)i;
                int plainLength = StartupPacketWriter.WriteIHello(packet, i, epd, tag);
                int n = StartupDatagram.Write(packet.AsSpan(0, plainLength), 0, datagram);
                others.SendTo(datagram.AsSpan(0, n), SocketFlags.None, node.Endpoint);
            }
            await BadInputTests.WaitUntil(() => refused[StartupRefusals.ByteBudget] >= 10, TimeSpan.FromSeconds(10));
        }
        long refusedBefore = refused[StartupRefusals.ByteBudget];
        Assert.True(refusedBefore >= 10, $"the address's budget was not used up: {refused}");
        var options = new RtmfpClientOptions { LocalEndPoint = new IPEndPoint(nat, 0) };
        var clock = Stopwatch.StartNew();
        var connections = await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ =>
            RtmfpConnection.ConnectAsync(node.Uri.ToString(), options).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken)));
        var elapsed = clock.Elapsed;
        TestContext.Current.TestOutputHelper?.WriteLine($"{Clients} clients behind one address connected in {elapsed.TotalMilliseconds:F0} ms; refused: {refused}");
        foreach (var c in connections)
        {
            await c.DisposeAsync();
        }
        Assert.True(elapsed < TimeSpan.FromSeconds(15), $"took {elapsed}");
        Assert.True(refused[StartupRefusals.ByteBudget] > refusedBefore, $"the clients never met the used-up budget: {refused}");
    }

    /// <summary>rtmfp.gateway.startup.refused of one node, by error.type.</summary>
    private sealed class RefusalCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<string, long> _byReason = new();

        public RefusalCounter(RtmfpMetrics node)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, node.Meter) && instrument.Name == "rtmfp.gateway.startup.refused")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "error.type" && tag.Value is string reason)
                    {
                        _byReason.AddOrUpdate(reason, value, (_, v) => v + value);
                    }
                }
            });
            _listener.Start();
        }

        public long this[string reason] => _byReason.TryGetValue(reason, out long v) ? v : 0;

        public override string ToString() => string.Join(", ", _byReason.Select(kv => $"{kv.Key}={kv.Value}"));

        public void Dispose() => _listener.Dispose();
    }
}
