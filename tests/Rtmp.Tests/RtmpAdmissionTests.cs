using System.Net;

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
        Assert.Equal(RtmpAdmissionResult.Admitted, admission.TryAdmit(A));
        Assert.Equal(RtmpAdmissionResult.Admitted, admission.TryAdmit(A));
        Assert.Equal(RtmpAdmissionResult.AddressFull, admission.TryAdmit(A));
        Assert.Equal(RtmpAdmissionResult.Admitted, admission.TryAdmit(B));
        Assert.Equal(3, admission.Open);
        Assert.Equal(2, admission.HeldBy(A));

        admission.Release(A);
        Assert.Equal(1, admission.HeldBy(A));
        Assert.Equal(RtmpAdmissionResult.Admitted, admission.TryAdmit(A));
        Assert.Equal(3, admission.Open);
    }

    [Fact]
    public void The_node_limit_holds_whatever_the_addresses()
    {
        var admission = new RtmpAdmission(maxConnections: 3, maxConnectionsPerAddress: 2);
        Assert.Equal(RtmpAdmissionResult.Admitted, admission.TryAdmit(A));
        Assert.Equal(RtmpAdmissionResult.Admitted, admission.TryAdmit(A));
        Assert.Equal(RtmpAdmissionResult.Admitted, admission.TryAdmit(B));
        Assert.Equal(RtmpAdmissionResult.NodeFull, admission.TryAdmit(IPAddress.Parse("192.0.2.3")));
        Assert.Equal(RtmpAdmissionResult.NodeFull, admission.TryAdmit(B));
        admission.Release(B);
        Assert.Equal(RtmpAdmissionResult.Admitted, admission.TryAdmit(IPAddress.Parse("192.0.2.3")));
    }

    [Fact]
    public void An_ipv4_client_of_a_dual_mode_listener_counts_as_its_ipv4_address()
    {
        var admission = new RtmpAdmission(maxConnections: 10, maxConnectionsPerAddress: 1);
        Assert.Equal(RtmpAdmissionResult.Admitted, admission.TryAdmit(A));
        Assert.Equal(RtmpAdmissionResult.AddressFull, admission.TryAdmit(A.MapToIPv6()));
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
            Assert.Equal(RtmpAdmissionResult.Admitted, admission.TryAdmit(B));
        }
        for (int i = 0; i < 5; i++)
        {
            admission.Release(B);
        }
        admission.Release(B); // one too many: ignored, the count does not go negative
        Assert.Equal(0, admission.Open);
        Assert.Equal(0, admission.HeldBy(B));
        Assert.Equal(RtmpAdmissionResult.Admitted, admission.TryAdmit(B));
    }
}
