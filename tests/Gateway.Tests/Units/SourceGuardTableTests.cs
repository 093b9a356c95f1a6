using System.Net;
using System.Net.Sockets;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Gateway.Tests.Units;

/// <summary>
/// SourceGuard's bookkeeping (RFC 7016 §5, docs/decisions.md): rate buckets per address and prefix with a burst of two
/// seconds' worth, the byte credit a verified address keeps using, refused bytes, the address and prefix keys, and
/// slots that start afresh when idle or taken over by another address.
/// </summary>
public class SourceGuardTableTests
{
    private static readonly SocketAddress A = IPEndPoint.Parse("198.51.100.7:4000").Serialize();
    private static readonly SocketAddress B = IPEndPoint.Parse("203.0.113.9:4000").Serialize();
    private static readonly SocketAddress NotIp = new(AddressFamily.Unix, 16);
    private const long T0 = 1_000;

    private static int Takes(SourceGuard guard, SocketAddress from, long nowMs)
    {
        int n = 0;
        while (n < 1_000 && guard.TryTake(SourceGuard.Budget.Hello, from, nowMs))
        {
            n++;
        }
        return n;
    }

    private static SocketAddress V4(string address) => new IPEndPoint(IPAddress.Parse(address), 4000).Serialize();

    [Fact]
    public void The_address_bucket_holds_two_seconds_worth()
    {
        var guard = new SourceGuard(new GatewaySourceLimits(HellosPerAddress: 3, HellosPerPrefix: 1_000));
        Assert.Equal(6, Takes(guard, A, T0));
        Assert.Equal(3, Takes(guard, A, T0 + 1_000));
    }

    [Fact]
    public void The_prefix_bucket_is_shared_by_the_addresses_of_a_24_only()
    {
        var guard = new SourceGuard(new GatewaySourceLimits(HellosPerAddress: 1_000, HellosPerPrefix: 2));
        Assert.Equal(4, Takes(guard, V4("198.51.100.1"), T0));
        Assert.Equal(0, Takes(guard, V4("198.51.100.200"), T0));
        Assert.Equal(4, Takes(guard, V4("198.51.101.1"), T0));
    }

    [Fact]
    public void IPv6_prefixes_are_64_bits_and_a_mapped_IPv4_address_is_the_same_source()
    {
        var guard = new SourceGuard(new GatewaySourceLimits(HellosPerAddress: 1, HellosPerPrefix: 2));
        Assert.Equal(2, Takes(guard, V4("2001:db8:0:1:1::1"), T0));
        Assert.Equal(2, Takes(guard, V4("2001:db8:0:1:2::1"), T0)); // same /64, other address
        Assert.Equal(0, Takes(guard, V4("2001:db8:0:1:3::1"), T0)); // the /64 spent its four
        Assert.Equal(2, Takes(guard, V4("2001:db8:0:2::1"), T0));

        Assert.Equal(2, Takes(guard, V4("192.0.2.1"), T0));
        Assert.Equal(0, Takes(guard, V4("::ffff:192.0.2.1"), T0));
    }

    [Fact]
    public void A_source_that_is_not_IP_gets_nothing()
    {
        var guard = new SourceGuard(GatewaySourceLimits.Default);
        guard.Received(NotIp, 1_000, T0);
        guard.Verify(NotIp, T0);
        Assert.False(guard.TryTake(SourceGuard.Budget.Hello, NotIp, T0));
        Assert.False(guard.TrySend(NotIp, 10, T0, out var refusal));
        Assert.Equal(StartupRefusals.Amplification, refusal);
    }

    [Fact]
    public void Refused_bytes_add_up()
    {
        var guard = new SourceGuard(GatewaySourceLimits.Default);
        Assert.False(guard.TrySend(A, 100, T0));
        Assert.False(guard.TrySend(A, 50, T0));
        Assert.Equal(150, guard.RefusedBytes);
    }

    [Fact]
    public void Bytes_sent_while_verified_still_count_once_the_verification_lapses()
    {
        var guard = new SourceGuard(GatewaySourceLimits.Default); // amplification factor 5
        guard.Received(A, 100, T0);
        guard.Verify(A, T0);
        Assert.True(guard.TrySend(A, 500, T0));
        // Keep the slot in use (an idle slot starts afresh) until the verification lapses.
        long t = T0;
        while (t < T0 + SourceGuard.VerifiedMs)
        {
            t += 60_000;
            guard.Received(A, 0, t);
        }
        Assert.False(guard.TrySend(A, 1, t, out var refusal)); // 500 + 1 > 5 × 100
        Assert.Equal(StartupRefusals.Amplification, refusal);
    }

    [Fact]
    public void An_idle_slot_starts_afresh_with_no_byte_credit()
    {
        const long idle = 5 * 60_000;
        var guard = new SourceGuard(GatewaySourceLimits.Default);
        guard.Received(A, 100, T0);
        Assert.True(guard.TrySend(A, 200, T0));
        Assert.True(guard.TrySend(A, 100, T0 + idle)); // unused for exactly the idle time: kept
        Assert.False(guard.TrySend(A, 100, T0 + 2 * idle + 1)); // unused for longer: no credit left
    }

    [Fact]
    public void A_slot_taken_over_by_another_address_gives_it_no_credit()
    {
        var guard = new SourceGuard(GatewaySourceLimits.Default, addressSlots: 1, prefixSlots: 1);
        guard.Received(A, 1_000, T0);
        Assert.False(guard.TrySend(B, 100, T0));
        Assert.False(guard.TrySend(A, 100, T0)); // B took the slot: A's credit is gone too
    }
}
