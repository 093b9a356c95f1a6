using System.Net;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Rtmp.Tests;

/// <summary>The RTMP listener's node-wide and per-address connection limits (docs/rtmp.md, "Limits and bad input").</summary>
public sealed class RtmpAdmissionTests
{
    private static readonly IPAddress A = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress B = IPAddress.Parse("192.0.2.2");

    [Fact]
    public void An_address_at_its_limit_is_refused_while_others_are_admitted_and_a_release_makes_room()
    {
        var admission = new RtmpAdmission(maxConnections: 10, maxConnectionsPerAddress: 2);
        Assert.Null(admission.TryAdmit(A, 0));
        Assert.Null(admission.TryAdmit(A, 0));
        Assert.Equal(RtmpRefusal.AddressLimit, admission.TryAdmit(A, 0));
        Assert.Null(admission.TryAdmit(B, 0));
        Assert.Equal(3, admission.Open);
        Assert.Equal(2, admission.HeldBy(A));

        admission.Release(A);
        Assert.Equal(1, admission.HeldBy(A));
        Assert.Null(admission.TryAdmit(A, 0));
        Assert.Equal(3, admission.Open);
    }

    [Fact]
    public void The_node_limit_holds_whatever_the_addresses()
    {
        var admission = new RtmpAdmission(maxConnections: 3, maxConnectionsPerAddress: 2);
        Assert.Null(admission.TryAdmit(A, 0));
        Assert.Null(admission.TryAdmit(A, 0));
        Assert.Null(admission.TryAdmit(B, 0));
        Assert.Equal(RtmpRefusal.ConnectionLimit, admission.TryAdmit(IPAddress.Parse("192.0.2.3"), 0));
        Assert.Equal(RtmpRefusal.ConnectionLimit, admission.TryAdmit(B, 0));
        admission.Release(B);
        Assert.Null(admission.TryAdmit(IPAddress.Parse("192.0.2.3"), 0));
    }

    [Fact]
    public void An_ipv4_client_of_a_dual_mode_listener_counts_as_its_ipv4_address()
    {
        var admission = new RtmpAdmission(maxConnections: 10, maxConnectionsPerAddress: 1);
        Assert.Null(admission.TryAdmit(A, 0));
        Assert.Equal(RtmpRefusal.AddressLimit, admission.TryAdmit(A.MapToIPv6(), 0));
        admission.Release(A.MapToIPv6());
        Assert.Equal(0, admission.HeldBy(A));
        Assert.Equal(0, admission.Open);
    }

    [Fact]
    public void Releasing_an_address_that_holds_nothing_changes_nothing_and_the_table_empties()
    {
        var admission = new RtmpAdmission(maxConnections: 10, maxConnectionsPerAddress: 5);
        admission.Release(A);
        Assert.Equal(0, admission.Open);
        for (int i = 0; i < 5; i++)
        {
            Assert.Null(admission.TryAdmit(B, 0));
        }
        for (int i = 0; i < 5; i++)
        {
            admission.Release(B);
        }
        admission.Release(B); // one too many: ignored, the count does not go negative
        Assert.Equal(0, admission.Open);
        Assert.Equal(0, admission.HeldBy(B));
        Assert.Null(admission.TryAdmit(B, 0));
    }

    [Fact]
    public void An_address_connecting_faster_than_its_rate_is_refused_after_its_burst_and_refills_with_time()
    {
        var admission = new RtmpAdmission(maxConnections: 1000, maxConnectionsPerAddress: 1000, connectsPerSecond: 2);
        for (int i = 0; i < 6; i++)
        {
            Assert.Null(admission.TryAdmit(A, 1_000)); // three seconds' worth at once
        }
        Assert.Equal(RtmpRefusal.RateLimit, admission.TryAdmit(A, 1_000));
        Assert.Null(admission.TryAdmit(B, 1_000)); // another address has its own bucket
        Assert.Equal(RtmpRefusal.RateLimit, admission.TryAdmit(A, 1_400));
        Assert.Null(admission.TryAdmit(A, 1_500)); // 2 a second: one more after 500 ms
        Assert.Equal(RtmpRefusal.RateLimit, admission.TryAdmit(A, 1_500));
        Assert.Equal(7, admission.HeldBy(A));
    }

    [Fact]
    public void Refused_attempts_spend_tokens_too_and_the_bucket_never_holds_more_than_its_burst()
    {
        var admission = new RtmpAdmission(maxConnections: 10, maxConnectionsPerAddress: 1, connectsPerSecond: 1);
        Assert.Null(admission.TryAdmit(A, 0));
        Assert.Equal(RtmpRefusal.AddressLimit, admission.TryAdmit(A, 0));
        Assert.Equal(RtmpRefusal.AddressLimit, admission.TryAdmit(A, 0));
        Assert.Equal(RtmpRefusal.RateLimit, admission.TryAdmit(A, 0));
        admission.Release(A);
        // An hour later the bucket holds its burst of three, not 3,600.
        for (int i = 0; i < 3; i++)
        {
            Assert.Null(admission.TryAdmit(A, 3_600_000));
            admission.Release(A);
        }
        Assert.Equal(RtmpRefusal.RateLimit, admission.TryAdmit(A, 3_600_000));
    }

    [Fact]
    public void The_rate_table_stays_fixed_however_many_addresses_connect()
    {
        var admission = new RtmpAdmission(maxConnections: 1_000_000, maxConnectionsPerAddress: 1, connectsPerSecond: 1, rateSlots: 16);
        for (int i = 0; i < 10_000; i++)
        {
            var address = new IPAddress([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i]);
            Assert.Null(admission.TryAdmit(address, 0));
            admission.Release(address);
        }
        Assert.Equal(0, admission.Open);
    }
}
