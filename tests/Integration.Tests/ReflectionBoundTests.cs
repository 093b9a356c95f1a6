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
/// refused answers are counted under error.type; one in the name of many addresses of one /24 draws at most
/// Rtmfp:Gateway:UnverifiedBytesPerPrefix onto them together; a client from another address connects during a flood, and many
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
        // The victim: every port of 127.0.0.1 the flood names as its source receives what the node reflects.
        await using var flood = new IHelloFlood(Enumerable.Range(0, 8).Select(_ => IPAddress.Loopback));
        // A client of another address (another /24 as well) connects while the flood runs.
        double seconds = await flood.RunWhileAClientConnectsAsync(node, IPAddress.Parse("127.0.1.1"), () => refused[StartupRefusals.ByteBudget] > 0);

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"flood: {flood.Datagrams} IHellos, {flood.Sent} B in 3 s; reflected {flood.Reflected} B over {seconds:F1} s (bound {BytesPerAddress * (seconds + 1):F0} B); refused: {refused}");
        // A bucket of one second's worth, refilled at the rate: at most (T + 1) × rate over T seconds.
        Assert.InRange(flood.Reflected, BytesPerAddress, (long)(BytesPerAddress * (seconds + 1)));
        Assert.True(flood.Reflected * 10 < flood.Sent, $"reflected {flood.Reflected} B of {flood.Sent} B sent");
        Assert.True(refused[StartupRefusals.ByteBudget] > 0, $"no refusal under byte_budget: {refused}");
    }

    [Fact(Timeout = 90_000)]
    public async Task A_flood_in_the_name_of_many_addresses_of_one_24_draws_at_most_the_prefix_budget_while_another_prefix_connects()
    {
        await using var node = await StartNodeAsync();
        using var refused = new RefusalCounter(node.Metrics);
        // 64 addresses of 127.0.9.0/24, one port each: together they may draw 64 times an address's budget, but the
        // prefix's bound holds them to Rtmfp:Gateway:UnverifiedBytesPerPrefix (a spoofer picks its sources in one /24).
        const int Addresses = 64;
        await using var flood = new IHelloFlood(Enumerable.Range(1, Addresses).Select(host => IPAddress.Parse($"127.0.9.{host}")));
        double seconds = await flood.RunWhileAClientConnectsAsync(node, IPAddress.Parse("127.0.10.1"), () => refused[StartupRefusals.ByteBudget] > 0);

        int answered = flood.ReflectedPerSource.Count(b => b > 0);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"flood from {Addresses} addresses of one /24: {flood.Datagrams} IHellos, {flood.Sent} B in 3 s; reflected {flood.Reflected} B to "
            + $"{answered} addresses over {seconds:F1} s (prefix bound {BytesPerPrefix * (seconds + 1):F0} B, the addresses' own {Addresses * BytesPerAddress * (seconds + 1):F0} B); refused: {refused}");
        Assert.InRange(flood.Reflected, BytesPerPrefix - 512, (long)(BytesPerPrefix * (seconds + 1)));
        // More addresses were answered than one address's budget would allow for: the bound met was the prefix's.
        Assert.True(answered > BytesPerPrefix / BytesPerAddress, $"only {answered} addresses answered");
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

    /// <summary>
    /// IHellos from one socket per given address (their forged source, in effect), round robin, and the bytes the node
    /// sends back to each: what a reflection attack would land on its victims.
    /// </summary>
    private sealed class IHelloFlood : IAsyncDisposable
    {
        private static readonly TimeSpan Length = TimeSpan.FromSeconds(3);
        private readonly Socket[] _sources;
        private readonly long[] _reflected;
        private readonly Task[] _receivers;
        private readonly CancellationTokenSource _stop = new();

        public IHelloFlood(IEnumerable<IPAddress> sources)
        {
            _sources = sources.Select(address =>
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                s.Bind(new IPEndPoint(address, 0));
                return s;
            }).ToArray();
            _reflected = new long[_sources.Length];
            _receivers = _sources.Select((s, i) => Task.Run(() => ReceiveAsync(s, i))).ToArray();
        }

        public long Sent { get; private set; }
        public long Datagrams { get; private set; }
        public long Reflected => ReflectedPerSource.Sum();
        public IEnumerable<long> ReflectedPerSource => Enumerable.Range(0, _reflected.Length).Select(i => Interlocked.Read(ref _reflected[i]));

        /// <summary>
        /// Floods for 3 s, connects a client from <paramref name="client"/> during it once <paramref name="underWay"/>
        /// holds (the node refusing the flood: a condition, not a fixed sleep), waits until the node stops answering;
        /// the seconds since the start.
        /// </summary>
        public async Task<double> RunWhileAClientConnectsAsync(RunningNode node, IPAddress client, Func<bool> underWay)
        {
            var epd = EndpointDiscriminator.CreateForUri(node.Uri.ToString());
            var to = node.Endpoint.Serialize();
            var clock = Stopwatch.StartNew();
            var flood = Task.Run(() => Flood(epd, to, clock));
            await BadInputTests.WaitUntil(() => underWay() || flood.IsCompleted, Length);
            Assert.True(underWay(), $"the flood never got under way ({Datagrams} IHellos sent, {Reflected} B answered)");
            var options = new RtmfpClientOptions { LocalEndPoint = new IPEndPoint(client, 0) };
            await using (var connection = await RtmfpConnection.ConnectAsync(node.Uri.ToString(), options).WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken))
            {
                Assert.True(clock.Elapsed < Length, $"the client connected after the flood ended ({clock.Elapsed})");
            }
            await flood;
            // What the node still had queued is answered within the same bound: wait until nothing more arrives.
            long last;
            do
            {
                last = Reflected;
                await Task.Delay(500, TestContext.Current.CancellationToken);
            }
            while (Reflected != last);
            return clock.Elapsed.TotalSeconds;
        }

        private void Flood(byte[] epd, SocketAddress to, Stopwatch clock)
        {
            var tag = new byte[16];
            var packet = new byte[512];
            var datagram = new byte[600];
            var rng = new Random(7);
            for (int i = 0; clock.Elapsed < Length; i++)
            {
                rng.NextBytes(tag);
                int plainLength = StartupPacketWriter.WriteIHello(packet, i, epd, tag);
                int n = StartupDatagram.Write(packet.AsSpan(0, plainLength), 0, datagram);
                _sources[i % _sources.Length].SendTo(datagram.AsSpan(0, n), SocketFlags.None, to);
                Sent += n;
                Datagrams++;
                if ((i & 63) == 0)
                {
                    Thread.Sleep(1);
                }
            }
        }

        private async Task ReceiveAsync(Socket socket, int index)
        {
            var buffer = new byte[2048];
            try
            {
                while (true)
                {
                    int n = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                    Interlocked.Add(ref _reflected[index], n);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            await Task.WhenAll(_receivers);
            foreach (var s in _sources)
            {
                s.Dispose();
            }
            _stop.Dispose();
        }
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
