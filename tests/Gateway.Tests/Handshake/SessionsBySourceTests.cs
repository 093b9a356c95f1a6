using System.Net;
using System.Net.Sockets;
using Rtmfp.Gateway.Handshake;

namespace Rtmfp.Gateway.Tests.Handshake;

/// <summary>
/// Per-source session accounting (RFC 7016 §3.5.1.1.2 lets a responder refuse a session it does not want): a keying
/// job counts from admission until it opens, fails or expires; an open session until it closes or its keys are no
/// longer cached here.
/// </summary>
public class SessionsBySourceTests
{
    private static readonly SocketAddress A = IPEndPoint.Parse("198.51.100.7:4000").Serialize();
    private static readonly SocketAddress ASecondPort = IPEndPoint.Parse("198.51.100.7:4001").Serialize();
    private static readonly SocketAddress SamePrefix = IPEndPoint.Parse("198.51.100.8:4000").Serialize();
    private static readonly SocketAddress Other = IPEndPoint.Parse("203.0.113.9:4000").Serialize();
    private static readonly SocketAddress NotIp = new(AddressFamily.Unix, 16);

    private static HandshakeJob Job(SocketAddress from) => new(7, [1, 2, 3, 4], [1], [2], from, null);

    private static SessionsBySource Sessions(int perAddress, int perPrefix, Func<uint, bool>? stillServed = null) =>
        new(new GatewaySourceLimits(SessionsPerAddress: perAddress, SessionsPerPrefix: perPrefix), stillServed ?? (_ => true));

    [Fact]
    public void Reservations_count_per_address_and_a_release_frees_one()
    {
        var sessions = Sessions(perAddress: 2, perPrefix: 10);
        var first = Job(A);
        Assert.True(sessions.TryReserve(first, 0));
        Assert.True(sessions.TryReserve(Job(ASecondPort), 0));
        Assert.Equal(2, sessions.CountFor(A));
        Assert.False(sessions.TryReserve(Job(A), 0));
        Assert.True(sessions.TryReserve(Job(Other), 0)); // another address is not affected

        sessions.Release(first);
        Assert.Equal(1, sessions.CountFor(A));
        sessions.Release(first); // twice: counted once
        Assert.Equal(1, sessions.CountFor(A));
        Assert.True(sessions.TryReserve(Job(A), 0));
    }

    [Fact]
    public void The_prefix_bound_holds_across_addresses()
    {
        var sessions = Sessions(perAddress: 5, perPrefix: 2);
        Assert.True(sessions.TryReserve(Job(A), 0));
        Assert.True(sessions.TryReserve(Job(SamePrefix), 0));
        Assert.False(sessions.TryReserve(Job(A), 0));
        Assert.True(sessions.TryReserve(Job(Other), 0));
    }

    [Fact]
    public void Opening_a_reserved_job_counts_once_and_closing_frees_it()
    {
        var sessions = Sessions(perAddress: 3, perPrefix: 10);
        var job = Job(A);
        Assert.True(sessions.TryReserve(job, 0));
        sessions.Opened(11, A, job);
        Assert.Equal(1, sessions.CountFor(A));
        Assert.Equal(1, sessions.Count);
        sessions.Release(job); // already opened: not a reservation any more
        Assert.Equal(1, sessions.CountFor(A));

        sessions.Opened(12, A, null); // opened without a known job (e.g. the job was forgotten): counts
        Assert.Equal(2, sessions.CountFor(A));
        Assert.Equal(2, sessions.Count);

        sessions.Closed(11);
        sessions.Closed(11);
        sessions.Closed(99);
        Assert.Equal(1, sessions.CountFor(A));
        sessions.Closed(12);
        Assert.Equal(0, sessions.CountFor(A));
        Assert.Equal(0, sessions.Count);
    }

    [Fact]
    public void A_second_open_of_one_session_releases_its_reservation()
    {
        var sessions = Sessions(perAddress: 3, perPrefix: 10);
        sessions.Opened(21, A, null);
        var retransmitted = Job(A);
        Assert.True(sessions.TryReserve(retransmitted, 0));
        Assert.Equal(2, sessions.CountFor(A));
        sessions.Opened(21, A, retransmitted); // the same session again: the reservation goes, the session stays
        Assert.Equal(1, sessions.CountFor(A));
        Assert.Equal(1, sessions.Count);
    }

    [Fact]
    public void A_source_that_is_not_IP_is_never_counted_nor_admitted()
    {
        var sessions = Sessions(perAddress: 3, perPrefix: 10);
        Assert.False(sessions.TryReserve(Job(NotIp), 0));
        sessions.Opened(31, NotIp, null);
        Assert.Equal(0, sessions.Count);
        Assert.Equal(0, sessions.CountFor(NotIp));
    }

    [Fact]
    public void At_the_bound_sessions_no_longer_served_and_expired_jobs_are_pruned_at_most_once_a_second()
    {
        var served = new HashSet<uint> { 1 };
        var sessions = Sessions(perAddress: 2, perPrefix: 10, served.Contains);
        sessions.Opened(1, A, null);
        var stuck = Job(A);
        long t0 = 10_000;
        Assert.True(sessions.TryReserve(stuck, t0));
        Assert.False(sessions.TryReserve(Job(A), t0)); // prunes at t0: nothing to prune

        // The stuck job expires at t0 + PendingMs; the prune a second after t0 frees it.
        long expiry = t0 + KeyingReplayCache.PendingMs;
        Assert.True(sessions.TryReserve(Job(A), expiry));
        Assert.Equal(2, sessions.CountFor(A));

        // Session 1 moved elsewhere (keys gone), but the last prune was just now: still refused within the second.
        served.Remove(1);
        Assert.False(sessions.TryReserve(Job(A), expiry + 999));
        Assert.True(sessions.TryReserve(Job(A), expiry + 1_000));
        Assert.Equal(0, sessions.Count); // session 1 forgotten; the two left are reservations
        Assert.Equal(2, sessions.CountFor(A));
    }

    [Fact]
    public void A_job_not_yet_expired_is_kept_by_the_prune()
    {
        var sessions = Sessions(perAddress: 1, perPrefix: 10);
        Assert.True(sessions.TryReserve(Job(A), 0));
        Assert.False(sessions.TryReserve(Job(A), KeyingReplayCache.PendingMs - 1));
        Assert.Equal(1, sessions.CountFor(A));
    }

    [Fact]
    public void Releases_and_duplicate_opens_give_back_the_prefix_count_too()
    {
        var sessions = Sessions(perAddress: 5, perPrefix: 2);
        var a = Job(A);
        var b = Job(SamePrefix);
        Assert.True(sessions.TryReserve(a, 0));
        Assert.True(sessions.TryReserve(b, 0));
        sessions.Release(a);
        Assert.True(sessions.TryReserve(Job(ASecondPort), 0)); // the prefix has room again

        // A session ID opened twice (a retransmitted answer) counts once, and its second reservation is given back.
        var c = Job(Other);
        var d = Job(Other);
        Assert.True(sessions.TryReserve(c, 0));
        Assert.True(sessions.TryReserve(d, 0));
        sessions.Opened(21, Other, c);
        sessions.Opened(21, Other, d);
        Assert.Equal(1, sessions.CountFor(Other));
        sessions.Closed(21);
        Assert.Equal(0, sessions.CountFor(Other));
        Assert.Equal(0, sessions.Count);
    }
}
