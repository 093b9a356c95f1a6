using Akka.TestKit.Xunit;
using Microsoft.Extensions.Logging.Abstractions;
using Rtmfp.Cluster;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Gateway.Tests.Units;

/// <summary>
/// Shutdown drain (RFC 7016 §3.5.5): every served session is asked to close once, and the drain returns when the last
/// one is gone, when the grace period runs out, or when it is cancelled, saying how many were asked and remain.
/// </summary>
public sealed class SessionDrainTests : TestKit
{
    private readonly RtmfpMetrics _metrics = new();

    protected override void AfterAll()
    {
        _metrics.Dispose();
        base.AfterAll();
    }

    private static SessionCryptoMaterial Keys() =>
        new(new byte[16], new byte[16], new byte[32], new byte[32], new byte[32], new byte[32], default);

    private (RtmfpGateway Gateway, Akka.TestKit.TestProbe Region) Gateway(params uint[] sessions)
    {
        var region = CreateTestProbe();
        var gateway = new RtmfpGateway(region.Ref, new SessionKeyCache(), _metrics, NullLogger.Instance);
        foreach (uint id in sessions)
        {
            gateway.Cache.Set(id, id + 100, Keys(), null);
        }
        return (gateway, region);
    }

    [Fact(Timeout = 20_000)]
    public async Task Each_session_is_asked_once_and_the_drain_ends_when_the_last_closes()
    {
        var (gateway, region) = Gateway(1, 2);
        var run = new SessionDrain(gateway, region.Ref).RunAsync(TimeSpan.FromSeconds(15), CancellationToken.None);
        var asked = new HashSet<uint>
        {
            region.ExpectMsg<CloseSession>().SessionId,
            region.ExpectMsg<CloseSession>().SessionId,
        };
        Assert.Equal([1u, 2u], asked);
        Assert.True(gateway.Draining); // no new handshakes while draining
        region.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        Assert.False(run.IsCompleted); // both still open

        gateway.Cache.Remove(1);
        gateway.Cache.Remove(2);
        var started = DateTime.UtcNow;
        var (n, remaining) = await run;
        Assert.Equal(2, n);
        Assert.Equal(0, remaining);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
    }

    [Fact(Timeout = 20_000)]
    public async Task The_grace_period_bounds_the_wait_and_the_request_can_be_replaced()
    {
        var (gateway, region) = Gateway(3);
        var drain = new SessionDrain(gateway, region.Ref) { RequestFor = id => $"hand-off {id}" };
        var started = DateTime.UtcNow;
        var (n, remaining) = await drain.RunAsync(TimeSpan.FromMilliseconds(300), CancellationToken.None);
        var took = DateTime.UtcNow - started;
        Assert.Equal((1, 1), (n, remaining));
        Assert.InRange(took, TimeSpan.FromMilliseconds(280), TimeSpan.FromSeconds(5));
        region.ExpectMsg("hand-off 3");
    }

    [Fact(Timeout = 20_000)]
    public async Task Cancellation_ends_the_wait_early()
    {
        var (gateway, region) = Gateway(4);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var started = DateTime.UtcNow;
        var (n, remaining) = await new SessionDrain(gateway, region.Ref).RunAsync(TimeSpan.FromSeconds(15), cts.Token);
        Assert.Equal((1, 1), (n, remaining));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
    }

    [Fact(Timeout = 20_000)]
    public async Task Nothing_served_returns_at_once()
    {
        var (gateway, region) = Gateway();
        var (n, remaining) = await new SessionDrain(gateway, region.Ref).RunAsync(TimeSpan.FromSeconds(15), CancellationToken.None);
        Assert.Equal((0, 0), (n, remaining));
        region.ExpectNoMsg(TimeSpan.FromMilliseconds(20));
    }
}
