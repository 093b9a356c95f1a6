using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Rtmfp.Rtmp;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Integration.Tests.Rtmp;

/// <summary>A node with tight RTMP limits (2 s handshake and idle timeouts, 1 s send stall, 8 connections, 256 KiB messages).</summary>
public sealed class RtmpLimitNode : IAsyncLifetime
{
    public const int MaxConnections = 8;
    private RunningNode? _node;

    public RunningNode Node => _node ?? throw new InvalidOperationException("not started");

    public IPEndPoint Endpoint => Ffmpeg.RtmpEndpoint(Node);

    internal RtmpListener Listener => Node.Host.Services.GetRequiredService<RtmpListener>();

    public RtmpMetrics Metrics => Listener.Metrics;

    public async ValueTask InitializeAsync() => _node = await RunningNode.StartAsync(
        ("Rtmfp:Rtmp:HandshakeTimeout", "2s"),
        ("Rtmfp:Rtmp:IdleTimeout", "2s"),
        ("Rtmfp:Rtmp:SendStallTimeout", "1s"),
        ("Rtmfp:Rtmp:MaxConnections", MaxConnections.ToString()),
        // Every test here connects from 127.0.0.1, the flood 48 times at once: the connect rate is RtmpAddressLimitTests' matter.
        ("Rtmfp:Rtmp:ConnectsPerAddressPerSecond", "100000"),
        ("Rtmfp:Rtmp:MaxMessageLength", (256 * 1024).ToString()));

    public async ValueTask DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }
}

/// <summary>Bad input and slow clients over RTMP (issue 13): each ends in a clear close, bounded memory, no crash.</summary>
public sealed class RtmpLimitTests(RtmpLimitNode fixture) : IClassFixture<RtmpLimitNode>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private async Task<long> WaitForCountAsync(RtmpCloseReason reason, long atLeast)
    {
        await BadInputTests.WaitUntil(() => fixture.Metrics.ClosedCount(reason) >= atLeast, Patience);
        return fixture.Metrics.ClosedCount(reason);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_slow_loris_dribbling_its_handshake_is_closed_at_the_handshake_timeout()
    {
        long before = fixture.Metrics.ClosedCount(RtmpCloseReason.HandshakeTimeout);
        await using var client = await RawRtmpClient.ConnectAsync(fixture.Endpoint);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var dribble = Task.Run(async () =>
        {
            // One byte of C0+C1 every 100 ms: never enough for a handshake within 2 s, but never idle either.
            for (int i = 0; i < 100 && client.Socket.Connected; i++)
            {
                try
                {
                    await client.SendRawAsync([3]);
                }
                catch (Exception)
                {
                    return;
                }
                await Task.Delay(100);
            }
        });
        var closedAfter = await client.WaitClosedAsync(Patience);
        Assert.InRange(closedAfter.TotalSeconds, 1.5, 6);
        Assert.Equal(before + 1, await WaitForCountAsync(RtmpCloseReason.HandshakeTimeout, before + 1));
        await dribble;
    }

    [Fact(Timeout = 60_000)]
    public async Task A_client_that_goes_silent_after_connect_is_pinged_then_closed_at_the_idle_timeout()
    {
        var ct = TestContext.Current.CancellationToken;
        long before = fixture.Metrics.ClosedCount(RtmpCloseReason.IdleTimeout);
        await using var client = await RawRtmpClient.ConnectAsync(fixture.Endpoint);
        await client.ConnectAppAsync(fixture.Endpoint, "live", ct);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        bool pinged = false;
        while (await client.ReadAsync(ct) is { } message)
        {
            // RTMP §7.1.7: a Ping Request (User Control 6) at half the idle timeout; we do not answer it.
            pinged |= message.Type == RtmpMessageType.UserControl && UserControlEvent.TryRead(message.Payload, out var ev)
                && ev.EventType == UserControlEventType.PingRequest;
            message.Release();
        }
        Assert.True(pinged, "no ping before the idle close");
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.5, 6);
        await WaitForCountAsync(RtmpCloseReason.IdleTimeout, before + 1);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_client_that_answers_pings_stays_connected_past_the_idle_timeout()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await RawRtmpClient.ConnectAsync(fixture.Endpoint);
        await client.ConnectAppAsync(fixture.Endpoint, "live", ct);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int pings = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(4.5) && await client.ReadAsync(ct) is { } message)
        {
            if (message.Type == RtmpMessageType.UserControl && UserControlEvent.TryRead(message.Payload, out var ev) && ev.EventType == UserControlEventType.PingRequest)
            {
                pings++;
                var pong = new byte[6];
                UserControlEvent.PingResponse(ev.PingTimestamp).Write(pong);
                await client.SendAsync(2, 0, RtmpMessageType.UserControl, 0, pong);
            }
            message.Release();
        }
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(4.5), $"closed after {clock.Elapsed} with {pings} pings answered");
        Assert.True(pings >= 2, $"{pings} pings");
    }

    [Theory(Timeout = 60_000)]
    [InlineData("chunk size")]
    [InlineData("message length")]
    [InlineData("chunk stream")]
    [InlineData("RTMPE")]
    public async Task Bad_chunk_streams_and_versions_are_closed_at_once(string what)
    {
        var ct = TestContext.Current.CancellationToken;
        var reason = what == "RTMPE" ? RtmpCloseReason.HandshakeRefused : RtmpCloseReason.ProtocolError;
        long before = fixture.Metrics.ClosedCount(reason);
        await using var client = await RawRtmpClient.ConnectAsync(fixture.Endpoint);
        switch (what)
        {
            case "chunk size":
                await client.HandshakeAsync(ct);
                await client.SendControlAsync(RtmpMessageType.SetChunkSize, 1 << 20); // above the 64 KiB limit
                break;
            case "message length":
                await client.HandshakeAsync(ct);
                // A type 0 header announcing a 1 MiB video message (the node takes at most 256 KiB).
                await client.SendRawAsync([0x06, 0, 0, 0, 0x10, 0, 0, 9, 1, 0, 0, 0, .. new byte[128]]);
                break;
            case "chunk stream":
                await client.HandshakeAsync(ct);
                await client.SendRawAsync([0x46, 0, 0, 0, 0, 0, 4, 9]); // a type 1 header on a chunk stream never opened
                break;
            default:
                var c0c1 = new byte[1537];
                c0c1[0] = 6; // RTMPE
                await client.SendRawAsync(c0c1);
                break;
        }
        Assert.InRange((await client.WaitClosedAsync(Patience)).TotalSeconds, 0, 1.5);
        await WaitForCountAsync(reason, before + 1);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_connection_flood_beyond_the_limit_is_reset_at_once_and_the_connections_held_keep_working()
    {
        var ct = TestContext.Current.CancellationToken;
        await BadInputTests.WaitUntil(() => fixture.Listener.OpenConnections == 0, Patience); // earlier tests' connections are gone
        long refusedBefore = fixture.Metrics.RefusedCount;
        var held = new List<RawRtmpClient>();
        var flood = new List<RawRtmpClient>();
        try
        {
            for (int i = 0; i < RtmpLimitNode.MaxConnections; i++)
            {
                held.Add(await RawRtmpClient.ConnectAsync(fixture.Endpoint));
                await held[^1].ConnectAppAsync(fixture.Endpoint, "live", ct);
            }
            int resetWhileConnecting = 0;
            for (int i = 0; i < 40; i++)
            {
                try
                {
                    flood.Add(await RawRtmpClient.ConnectAsync(fixture.Endpoint));
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
                {
                    resetWhileConnecting++; // the reset overtook the connect: closed at once too
                }
            }
            var closed = await Task.WhenAll(flood.Select(c => c.WaitClosedAsync(TimeSpan.FromSeconds(5))));
            Assert.All(closed, t => Assert.True(t < TimeSpan.FromSeconds(1.5), $"a flooding connection was still open after {t}"));
            Assert.Equal(40, closed.Length + resetWhileConnecting);
            await BadInputTests.WaitUntil(() => fixture.Metrics.RefusedCount >= refusedBefore + 40, Patience);
            Assert.Equal(RtmpLimitNode.MaxConnections, fixture.Listener.OpenConnections);
            // The connections held are served: createStream is answered.
            await held[0].SendCommandAsync(0, "createStream", 2, AmfNull.Instance);
            await held[0].ReadCommandAsync("_result", ct);
        }
        finally
        {
            foreach (var c in held.Concat(flood))
            {
                await c.DisposeAsync();
            }
        }
        // Once they left, a new client is admitted.
        await BadInputTests.WaitUntil(() => fixture.Listener.OpenConnections == 0, Patience);
        await using var late = await RawRtmpClient.ConnectAsync(fixture.Endpoint);
        await late.ConnectAppAsync(fixture.Endpoint, "live", ct);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_player_that_does_not_read_is_closed_when_its_queue_stalls_and_the_publisher_carries_on()
    {
        var ct = TestContext.Current.CancellationToken;
        long before = fixture.Metrics.ClosedCount(RtmpCloseReason.SendStalled);
        await using var player = await RawRtmpClient.ConnectAsync(fixture.Endpoint, receiveBuffer: 4096);
        await player.ConnectAppAsync(fixture.Endpoint, "live", ct);
        await player.SendCommandAsync(0, "createStream", 2, AmfNull.Instance);
        await player.ReadCommandAsync("_result", ct);
        await player.SendCommandAsync(1, "play", 0, AmfNull.Instance, "stall");
        await player.ReadCommandAsync(StatusCode.PlayStart, ct);
        // From here the player reads nothing. A publisher sends 200 video frames of 100 KB as fast as it can.
        await using var publisher = await RawRtmpClient.ConnectAsync(fixture.Endpoint);
        await publisher.ConnectAppAsync(fixture.Endpoint, "live", ct);
        await publisher.SendCommandAsync(0, "createStream", 2, AmfNull.Instance);
        await publisher.ReadCommandAsync("_result", ct);
        await publisher.SendCommandAsync(1, "publish", 0, AmfNull.Instance, "stall", "live");
        await publisher.ReadCommandAsync(StatusCode.PublishStart, ct);
        var frame = new byte[100_000];
        frame[0] = 0x17; // AVC keyframe
        frame[1] = 1;    // NALU
        for (uint i = 0; i < 200 && fixture.Metrics.ClosedCount(RtmpCloseReason.SendStalled) == before; i++)
        {
            await publisher.SendAsync(6, 1, RtmpMessageType.Video, i * 33, frame);
        }
        await WaitForCountAsync(RtmpCloseReason.SendStalled, before + 1);
        // The publisher is still connected and served.
        await publisher.SendCommandAsync(0, "releaseStream", 3, AmfNull.Instance, "other");
        await publisher.ReadCommandAsync("_result", ct);
    }
}
