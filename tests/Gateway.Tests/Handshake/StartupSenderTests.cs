using System.Net;
using System.Net.Sockets;
using Rtmfp.Gateway.Handshake;
using Rtmfp.Gateway.Tests.Support;
using Rtmfp.Gateway.Transport;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Shared.Wire;
using Rtmfp.Integration.Tests.Support;

namespace Rtmfp.Gateway.Tests.Handshake;

/// <summary>
/// Startup packets leave under the default key only within the startup packet bound and, to an address not yet
/// verified, only within what it has sent (RFC 7016 §5), each refusal counted; and the IHello's EPD cache that lets
/// the IIKeying's session know which URI its client asked for.
/// </summary>
public sealed class StartupSenderTests : IAsyncLifetime
{
    private readonly RtmfpMetrics _metrics = new();
    private readonly MetricCollector _counters;
    private UdpEndpoint _endpoint = null!;
    private readonly Socket _client = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 300 };

    public StartupSenderTests() => _counters = new MetricCollector(_metrics);

    public ValueTask InitializeAsync()
    {
        _endpoint = new UdpEndpoint(new IPEndPoint(IPAddress.Loopback, 0), 1 << 20);
        _client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _endpoint.DisposeAsync();
        _client.Dispose();
        _counters.Dispose();
        _metrics.Dispose();
    }

    private SocketAddress Client => _client.LocalEndPoint!.Serialize();

    [Fact(Timeout = 30_000)]
    public void Packets_up_to_the_startup_bound_leave_and_longer_ones_do_not()
    {
        Assert.True(StartupSender.Send(_endpoint, new byte[PacketLimits.MaxStartupPacketLength], 0, Client, _metrics, null, 0));
        var (_, datagrams) = StartupTraffic.Drain(_client);
        Assert.Single(datagrams);
        Assert.True(datagrams[0].Length > PacketLimits.SessionIdLength + PacketLimits.MaxStartupPacketLength);
        Assert.False(StartupSender.Send(_endpoint, new byte[PacketLimits.MaxStartupPacketLength + 1], 0, Client, _metrics, null, 0));
        Assert.Empty(StartupTraffic.Drain(_client).Datagrams);
        Assert.Equal(1, _counters["rtmfp.gateway.packets{transmit}"]);
    }

    [Fact(Timeout = 30_000)]
    public void An_unverified_address_gets_no_more_than_its_bytes_allow_and_the_refusal_is_counted()
    {
        var guard = new SourceGuard(GatewaySourceLimits.Default);
        long now = Environment.TickCount64;
        guard.Received(Client, 40, now); // 40 bytes in: 200 bytes out at most
        Assert.True(StartupSender.Send(_endpoint, new byte[100], 0, Client, _metrics, guard, now));
        Assert.False(StartupSender.Send(_endpoint, new byte[100], 0, Client, _metrics, guard, now));
        Assert.Single(StartupTraffic.Drain(_client).Datagrams);
        Assert.Equal(1, _counters["rtmfp.gateway.startup.refused{amplification}"]);

        guard.Verify(Client, now); // it echoed a cookie: it receives what we send
        Assert.True(StartupSender.Send(_endpoint, new byte[1000], 0, Client, _metrics, guard, now));
        Assert.Single(StartupTraffic.Drain(_client).Datagrams);
    }

    [Fact]
    public void The_EPD_cache_keeps_one_EPD_per_cookie_up_to_its_length_bound()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EndpointDiscriminatorCache(0));
        var cache = new EndpointDiscriminatorCache(16);
        byte[] Cookie(byte last)
        {
            var c = new byte[CookieJar.CookieLength];
            c[0] = 7;
            c[^1] = last;
            return c;
        }
        var longest = Enumerable.Range(0, EndpointDiscriminatorCache.MaxEpdLength).Select(i => (byte)i).ToArray();
        cache.Store(Cookie(1), longest);
        cache.Store(Cookie(2), [1, 2, 3]); // another slot (the cookie's last word selects it)
        cache.Store(Cookie(3), new byte[EndpointDiscriminatorCache.MaxEpdLength + 1]); // too long: not kept
        cache.Store([1, 2, 3], [4]); // not a cookie
        Assert.Equal(longest, cache.Find(Cookie(1)));
        Assert.Equal([1, 2, 3], cache.Find(Cookie(2)));
        Assert.Null(cache.Find(Cookie(3)));
        Assert.Null(cache.Find([1, 2, 3]));
        Assert.Null(cache.Find([]));
        Assert.Null(cache.Find(Cookie(17))); // the slot of cookie 1, another cookie
    }
}
