using System.Net;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Gateway.Tests;

/// <summary>
/// <see cref="SourceGuard"/>'s bytes per second to an unproven address and prefix (issue 11): the bound a forged-source
/// flood meets whatever bytes it sends, refilled with time, lifted for an address that echoed a cookie.
/// </summary>
public sealed class SourceGuardByteBudgetTests
{
    private static readonly GatewaySourceLimits Limits = GatewaySourceLimits.Default with
    {
        AmplificationFactor = 20,
        UnverifiedBytesPerAddress = 1800,
        UnverifiedBytesPerPrefix = 3600,
    };

    private static SocketAddress At(string address) => new IPEndPoint(IPAddress.Parse(address), 40000).Serialize();

    /// <summary>RHellos of 180 bytes to <paramref name="to"/> until one is refused, at one instant; the count and the reason.</summary>
    private static (int Sent, string? Refusal) Drain(SourceGuard guard, SocketAddress to, long now)
    {
        guard.Received(to, 1_000_000, now); // plenty of bytes in: the amplification bound is not the one met
        int sent = 0;
        string? refusal;
        while (guard.TrySend(to, 180, now, out refusal))
        {
            sent++;
        }
        return (sent, refusal);
    }

    [Fact]
    public void An_unproven_address_draws_its_budget_then_the_refill_and_nothing_more()
    {
        var guard = new SourceGuard(Limits);
        var victim = At("192.0.2.1");
        Assert.Equal((10, StartupRefusals.ByteBudget), Drain(guard, victim, 1000));
        Assert.Equal(0, Drain(guard, victim, 1000).Sent);
        // Half a second refills half the rate: 900 bytes, five more RHellos.
        Assert.Equal(5, Drain(guard, victim, 1500).Sent);
        // A long pause refills one second's worth, never more.
        Assert.Equal(10, Drain(guard, victim, 60_000).Sent);
        Assert.Equal(0, Drain(guard, victim, 60_000).Sent);
    }

    [Fact]
    public void The_prefix_bounds_forged_addresses_of_one_24_together_and_others_are_untouched()
    {
        var guard = new SourceGuard(Limits);
        int sent = 0;
        for (int host = 1; host <= 10; host++)
        {
            sent += Drain(guard, At($"198.51.100.{host}"), 1000).Sent;
        }
        Assert.Equal(20, sent); // 3,600 bytes for the whole /24
        Assert.Equal(10, Drain(guard, At("203.0.113.9"), 1000).Sent);
    }

    [Fact]
    public void An_address_that_echoed_a_cookie_is_not_charged()
    {
        var guard = new SourceGuard(Limits);
        var nat = At("192.0.2.77");
        Assert.Equal(10, Drain(guard, nat, 1000).Sent);
        guard.Verify(nat, 1000);
        for (int i = 0; i < 1000; i++)
        {
            Assert.True(guard.TrySend(nat, 180, 1000, out var refusal), refusal);
        }
    }

    [Fact]
    public void The_amplification_bound_is_said_as_such()
    {
        var guard = new SourceGuard(GatewaySourceLimits.Default);
        var to = At("192.0.2.5");
        guard.Received(to, 36, 1000);
        Assert.True(guard.TrySend(to, 180, 1000, out _));
        Assert.False(guard.TrySend(to, 180, 1000, out var refusal));
        Assert.Equal(StartupRefusals.Amplification, refusal);
    }
}
