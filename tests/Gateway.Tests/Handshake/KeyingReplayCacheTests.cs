using System.Net;
using Rtmfp.Gateway.Handshake;

namespace Rtmfp.Gateway.Tests.Handshake;

/// <summary>
/// The IIKeying replay cache (RFC 7016 §3.5.1.1.2): copies of one IIKeying are keyed once; and when the keyed session's
/// entity never answers (its node died, issue 9), a retransmission is keyed again under the next session ID.
/// </summary>
public class KeyingReplayCacheTests
{
    private static readonly SocketAddress Client = IPEndPoint.Parse("192.0.2.1:5000").Serialize();

    private static HandshakeJob Job(byte[] cookie) => new(7, cookie, [1], [2], Client, null);

    [Fact]
    public void A_keyed_job_whose_entity_stays_silent_is_stalled_and_keyed_again_under_the_next_probe()
    {
        var cache = new KeyingReplayCache();
        var cookie = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
        var job = Job(cookie);
        Assert.Equal(KeyingReplayCache.Replay.New, cache.Check(cookie, 7, Client, 0, out _));
        cache.Begin(job, 0);
        Assert.Equal(KeyingReplayCache.Replay.InProgress, cache.Check(cookie, 7, Client, 1_000, out _, out _));

        // Keyed at 1 s: the entity has 2 s to answer before a retransmission moves on.
        cache.Keyed(job, 1_000);
        Assert.Equal(KeyingReplayCache.Replay.InProgress, cache.Check(cookie, 7, Client, 1_000 + KeyingReplayCache.OpenStallMs - 1, out _, out _));
        Assert.Equal(KeyingReplayCache.Replay.Stalled, cache.Check(cookie, 7, Client, 1_000 + KeyingReplayCache.OpenStallMs, out _, out int probe));
        Assert.Equal(0, probe);

        var again = Job(cookie);
        again.Probe = probe + 1;
        cache.Begin(again, 3_000);
        Assert.Equal(KeyingReplayCache.Replay.InProgress, cache.Check(cookie, 7, Client, 3_500, out _, out _));
        cache.Keyed(again, 3_500);
        Assert.Equal(KeyingReplayCache.Replay.Stalled, cache.Check(cookie, 7, Client, 3_500 + KeyingReplayCache.OpenStallMs, out _, out probe));
        Assert.Equal(1, probe);
    }

    [Fact]
    public void A_slow_worker_is_not_a_stall_and_an_answered_keying_is_repeated()
    {
        var cache = new KeyingReplayCache();
        var cookie = Enumerable.Range(1, 64).Select(i => (byte)i).ToArray();
        var job = Job(cookie);
        cache.Begin(job, 0);
        // Still in the worker queue after 4 s (overload): copies are dropped, not keyed again.
        Assert.Equal(KeyingReplayCache.Replay.InProgress, cache.Check(cookie, 7, Client, 4_000, out _, out _));
        cache.Keyed(job, 4_500);
        cache.Complete(job, [9, 9]);
        Assert.Equal(KeyingReplayCache.Replay.Answer, cache.Check(cookie, 7, Client, 60_000, out var answer, out _));
        Assert.Equal(new byte[] { 9, 9 }, answer);
        Assert.Equal(KeyingReplayCache.Replay.Conflict, cache.Check(cookie, 8, Client, 60_000, out _, out _));
    }
}
