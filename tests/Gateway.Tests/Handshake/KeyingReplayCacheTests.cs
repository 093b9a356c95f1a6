using System.Net;
using Rtmfp.Gateway.Handshake;

namespace Rtmfp.Gateway.Tests.Handshake;

/// <summary>
/// The IIKeying replay cache (RFC 7016 §3.5.1.1.2): copies of one IIKeying are keyed once; and when the keyed session's
/// entity never answers (its node died, issue 9), a retransmission is keyed again under the next session ID. Also its
/// bookkeeping: how long an unanswered job blocks its copies, what Keyed / Complete / Forget do to their own cookie and
/// only to it, and how cookies pick their slot.
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

    private static byte[] Cookie(byte last) => [.. Enumerable.Range(0, 63).Select(i => (byte)i), last];

    private static KeyingReplayCache.Replay Check(KeyingReplayCache cache, byte[] cookie, long nowMs) =>
        cache.Check(cookie, 7, Client, nowMs, out _, out _);

    [Fact]
    public void A_queued_job_blocks_its_copies_for_PendingMs_then_a_copy_is_keyed_again()
    {
        var cache = new KeyingReplayCache();
        var cookie = Cookie(1);
        cache.Begin(Job(cookie), 1_000);
        Assert.Equal(KeyingReplayCache.Replay.InProgress, Check(cache, cookie, 1_000 + KeyingReplayCache.PendingMs - 1));
        Assert.Equal(KeyingReplayCache.Replay.New, Check(cache, cookie, 1_000 + KeyingReplayCache.PendingMs));
    }

    [Fact]
    public void Keying_late_in_the_queue_extends_the_pending_window_from_the_keying()
    {
        var cache = new KeyingReplayCache();
        var cookie = Cookie(2);
        var job = Job(cookie);
        cache.Begin(job, 0);
        cache.Keyed(job, 4_000);
        // 5.5 s after Begin but 1.5 s after keying: the entity still has time to answer, copies are dropped.
        Assert.Equal(KeyingReplayCache.Replay.InProgress, Check(cache, cookie, 5_500));
    }

    [Fact]
    public void Keyed_for_a_cookie_not_held_changes_nothing()
    {
        var cache = new KeyingReplayCache(slots: 1);
        var held = Cookie(3);
        cache.Begin(Job(held), 0);
        cache.Keyed(Job(Cookie(4)), 0); // same slot, other cookie
        cache.Keyed(Job(Cookie(5)), 0);
        // Not keyed: no stall after OpenStallMs, still simply in progress.
        Assert.Equal(KeyingReplayCache.Replay.InProgress, Check(cache, held, KeyingReplayCache.OpenStallMs + 10));

        var empty = new KeyingReplayCache(slots: 1);
        empty.Keyed(Job(held), 0); // nothing queued: ignored
        Assert.Equal(KeyingReplayCache.Replay.New, Check(empty, held, 0));
    }

    [Fact]
    public void Complete_without_Begin_still_records_the_answer_and_replaces_another_cookie_in_the_slot()
    {
        var cache = new KeyingReplayCache(slots: 1);
        var first = Cookie(6);
        var second = Cookie(7);
        cache.Complete(Job(first), [1]);
        Assert.Equal(KeyingReplayCache.Replay.Answer, cache.Check(first, 7, Client, 0, out var answer));
        Assert.Equal(new byte[] { 1 }, answer);

        cache.Complete(Job(second), [2]);
        Assert.Equal(KeyingReplayCache.Replay.Answer, cache.Check(second, 7, Client, 0, out answer));
        Assert.Equal(new byte[] { 2 }, answer);
        Assert.Equal(KeyingReplayCache.Replay.New, cache.Check(first, 7, Client, 0, out answer));
        Assert.Null(answer);
    }

    [Fact]
    public void Forget_lets_a_retransmission_try_again_but_never_drops_an_answer_or_another_cookie()
    {
        var cache = new KeyingReplayCache(slots: 1);
        var cookie = Cookie(8);
        var job = Job(cookie);
        cache.Begin(job, 0);
        cache.Forget(job);
        Assert.Equal(KeyingReplayCache.Replay.New, Check(cache, cookie, 1));

        cache.Begin(job, 0);
        cache.Forget(Job(Cookie(9))); // other cookie in the same slot
        Assert.Equal(KeyingReplayCache.Replay.InProgress, Check(cache, cookie, 1));

        cache.Complete(job, [3]);
        cache.Forget(job);
        Assert.Equal(KeyingReplayCache.Replay.Answer, Check(cache, cookie, 1));

        var empty = new KeyingReplayCache(slots: 1);
        empty.Forget(job); // nothing held: no-op
        Assert.Equal(KeyingReplayCache.Replay.New, Check(empty, cookie, 0));
    }

    [Fact]
    public void Cookies_are_spread_by_their_last_four_bytes_and_short_cookies_share_slot_zero()
    {
        var cache = new KeyingReplayCache(slots: 2);
        byte[] even = [0, 0, 0, 2];
        byte[] odd = [0, 0, 0, 3];
        cache.Begin(Job(even), 0);
        cache.Begin(Job(odd), 0);
        Assert.Equal(KeyingReplayCache.Replay.InProgress, Check(cache, even, 1));
        Assert.Equal(KeyingReplayCache.Replay.InProgress, Check(cache, odd, 1));

        // A cookie under four bytes cannot be hashed: slot 0, where it replaces the even cookie.
        byte[] tiny = [5, 6];
        Assert.Equal(KeyingReplayCache.Replay.New, Check(cache, tiny, 1));
        cache.Begin(Job(tiny), 0);
        Assert.Equal(KeyingReplayCache.Replay.InProgress, Check(cache, tiny, 1));
        Assert.Equal(KeyingReplayCache.Replay.New, Check(cache, even, 1));
        Assert.Equal(KeyingReplayCache.Replay.InProgress, Check(cache, odd, 1));
    }

    [Fact]
    public void A_cache_without_slots_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new KeyingReplayCache(slots: 0));
    }
}
