using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Rtmfp.Cluster;
using Rtmfp.Gateway;
using Rtmfp.Gateway.Transport;
using Rtmfp.Flash;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Integration.Tests;

/// <summary>
/// Issue 14, "failures are visible": an exception a handler throws is caught (the node stays up) but counted in
/// rtmfp.handler.failures and logged at Error, and the integration fixture fails a test that leaves either behind.
/// </summary>
[Collection("node")]
public class HandlerFailureTests
{
    /// <summary>A handshake front that throws on every startup packet: a bug on the gateway's receive path.</summary>
    private sealed class ThrowingStartup : IStartupHandler
    {
        public void OnStartupPacket(UdpEndpoint endpoint, ReadOnlySpan<byte> encryptedPacket, SocketAddress from) =>
            throw new InvalidOperationException("startup handler bug (deliberate)");

        public void OnSessionOpened(SessionOpened opened, UdpEndpoint? endpoint)
        {
        }

        public void OnCollision(SessionIdCollision collision)
        {
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_throwing_startup_handler_is_counted_logged_at_error_and_fails_the_fixture_check()
    {
        await using var node = await RunningNode.StartAsync(services =>
            services.AddSingleton<Func<GatewayContext, IStartupHandler>>(_ => _ => new ThrowingStartup()));
        using var metrics = new MetricCollector(node.Metrics);

        // One datagram for session ID 0: the gateway hands it to the startup handler, which throws.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var datagram = new byte[64];
        new Random(14).NextBytes(datagram);
        Multiplex.ScrambleSessionId(datagram, 0);
        socket.SendTo(datagram, SocketFlags.None, node.Endpoint);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while ((node.Metrics.HandlerFailureCount == 0 || node.ErrorLog.Errors.Count == 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        Assert.Equal(1, node.Metrics.HandlerFailureCount);
        Assert.Equal(1, metrics["rtmfp.handler.failures"]);
        var error = Assert.Single(node.ErrorLog.Errors);
        Assert.Equal(1014, error.EventId.Id);
        Assert.IsType<InvalidOperationException>(error.Exception);

        // The receive loop survived: a second datagram reaches the handler too.
        socket.SendTo(datagram, SocketFlags.None, node.Endpoint);
        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (node.Metrics.HandlerFailureCount < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        Assert.Equal(2, node.Metrics.HandlerFailureCount);

        var ex = Assert.Throws<NodeFailedException>(node.AssertNoFailures);
        Assert.Contains("rtmfp.handler.failures is 2", ex.Message);
        Assert.Contains("logged at Error", ex.Message);

        node.AllowHandlerFailures(2, "this test makes the startup handler throw twice");
        Assert.Throws<NodeFailedException>(node.AssertNoFailures); // the Error entry is still not allowed
        node.AllowError("the deliberate startup handler failure is logged by the receive loop", e => e.EventId.Id == 1014);
        node.AssertNoFailures();
    }

    [Fact(Timeout = 60_000)]
    public async Task An_application_that_throws_under_rtmp_is_counted_logged_at_error_and_the_connect_refused()
    {
        await using var node = await RunningNode.StartAsync(
            ("Rtmfp:Applications:faulty", $"type:{typeof(ThrowingApplication).FullName}, {typeof(ThrowingApplication).Assembly.GetName().Name}"));
        var endpoint = Ffmpeg.RtmpEndpoint(node);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        await using var client = await RawRtmpClient.ConnectAsync(endpoint);
        await client.HandshakeAsync(timeout.Token);
        await client.SendCommandAsync(0, "connect", 1, new AmfObject { ["app"] = "faulty", ["tcUrl"] = $"rtmp://{endpoint}/faulty" });
        // The application's throw becomes a refusal (the connection is not left hanging)...
        await client.ReadCommandAsync("_error", timeout.Token);

        // ...and a visible failure: rtmfp.handler.failures where=rtmp_application, and an Error entry (RtmpLog 1301).
        await BadInputTests.WaitUntil(() => node.Metrics.HandlerFailureCount >= 1 && node.ErrorLog.Errors.Count >= 1, TimeSpan.FromSeconds(10));
        Assert.Equal(1, node.Metrics.HandlerFailureCount);
        var error = Assert.Single(node.ErrorLog.Errors);
        Assert.Equal(1301, error.EventId.Id);
        Assert.IsType<InvalidOperationException>(error.Exception);

        Assert.Throws<NodeFailedException>(node.AssertNoFailures);
        node.AllowHandlerFailures(1, "this test's application throws on connect");
        node.AllowError("the deliberate application failure", e => e.EventId.Id == 1301);
    }
}

/// <summary>An application whose connect handler throws: a bug in a deployment's own code.</summary>
public sealed class ThrowingApplication(string name) : DefaultApplication(name)
{
    public override ValueTask<ConnectDecision> OnConnectAsync(IFlashClient client, ConnectRequest request) =>
        throw new InvalidOperationException("application bug (deliberate)");
}
