using Rtmfp.Cluster;
using System.Net;
using System.Net.Sockets;
using Rtmfp.Client;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Integration.Tests;

public class GatewayBehaviourTests(SharedNode shared) : IClassFixture<SharedNode>
{
    [Fact(Timeout = 60_000)]
    public async Task A_replayed_packet_is_dropped_by_the_session()
    {
        // A node of its own: the rejected count is exact only where no other test's late datagram can add to it.
        await using var node = await RunningNode.StartAsync();
        using var metrics = new MetricCollector(node.Metrics);
        using var profile = FlashCryptoProfile.CreateEphemeral(KeyingPolicy.Strict);
        using var raw = await RawInitiator.ConnectAsync(node.Endpoint, node.Uri.ToString(), TimeSpan.FromSeconds(10), profile);
        Assert.NotNull(raw.Result);
        Assert.True(raw.Result!.Keying.Verification.SendSequenceNumbers);

        // Mode 1 (initiator), timestamp, one Ping chunk (RFC 7016 §2.3.9): the session answers with a Ping Reply.
        byte[] plain = [0x09, 0x00, 0x10, (byte)ChunkType.Ping, 0x00, 0x02, 0xAB, 0xCD];
        var datagram = raw.Seal(plain, sequenceNumber: 5);
        await raw.SendAsync(datagram, node.Endpoint);
        Assert.True(await ReplyArrives(raw), "the first copy gets a Ping Reply");
        long rejected = metrics["rtmfp.gateway.packets.dropped"];

        await raw.SendAsync(datagram, node.Endpoint);
        Assert.False(await ReplyArrives(raw), "the replayed copy is answered");
        await BadInputTests.WaitUntil(() => metrics["rtmfp.gateway.packets.dropped"] > rejected, TimeSpan.FromSeconds(5));
        Assert.Equal(rejected + 1, metrics["rtmfp.gateway.packets.dropped"]);

        // Control: the same ping under a fresh number is answered again.
        await raw.SendAsync(raw.Seal(plain, sequenceNumber: 6), node.Endpoint);
        Assert.True(await ReplyArrives(raw));
    }

    private static async Task<bool> ReplyArrives(RawInitiator raw)
    {
        var deadline = DateTime.UtcNow.AddSeconds(1.5);
        while (DateTime.UtcNow < deadline)
        {
            var types = await raw.ReceiveChunkTypesAsync(TimeSpan.FromMilliseconds(300));
            if (types?.Contains(ChunkType.PingReply) == true)
            {
                return true;
            }
        }
        return false;
    }

    [Fact(Timeout = 60_000)]
    public async Task A_gateway_that_lost_its_keys_refetches_them_and_the_session_continues()
    {
        var node = shared.Node;
        await using var connection = await RtmfpConnection.ConnectAsync(node.Uri.ToString());
        var flow = connection.OpenFlow("echo");
        await flow.SendAsync(new byte[] { 1 });
        Assert.Equal(new byte[] { 1 }, (await flow.Received.ReadAsync()).ToArray());

        // As after a gateway restart or a client landing on another gateway: the cache is soft state.
        node.Gateway.Gateway!.Cache.Remove(connection.FarSessionId);
        for (byte i = 2; i < 50; i++)
        {
            await flow.SendAsync(new byte[] { i });
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        for (byte i = 2; i < 50; i++)
        {
            Assert.Equal(new byte[] { i }, (await flow.Received.ReadAsync(cts.Token)).ToArray());
        }
        Assert.True(node.Gateway.Gateway!.Cache.TryGet(connection.FarSessionId, out _));
    }
}

public class Ipv6Tests
{
    [Fact(Timeout = 60_000)]
    public async Task The_gateway_serves_IPv6_clients()
    {
        if (!Socket.OSSupportsIPv6 || !CanBind(IPAddress.IPv6Loopback))
        {
            Assert.Fail("IPv6 loopback is not available on this machine");
        }
        await using var node = await RunningNode.StartAsync(("Rtmfp:Gateway:Endpoints", "127.0.0.1:0,[::1]:0"));
        var v6 = node.Gateway.Endpoints.Single(e => e.AddressFamily == AddressFamily.InterNetworkV6).LocalEndPoint;
        var options = new RtmfpClientOptions { LocalEndPoint = new IPEndPoint(IPAddress.IPv6Loopback, 0) };
        await using var connection = await RtmfpConnection.ConnectAsync($"rtmfp://[::1]:{v6.Port}/app", options);
        var flow = connection.OpenFlow("echo");
        await flow.SendAsync("v6"u8.ToArray());
        Assert.Equal("v6"u8.ToArray(), (await flow.Received.ReadAsync()).ToArray());
        Assert.Equal(AddressFamily.InterNetworkV6, connection.RemoteEndPoint!.AddressFamily);
    }

    private static bool CanBind(IPAddress address)
    {
        try
        {
            using var s = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(address, 0));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
