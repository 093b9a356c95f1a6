using Rtmfp.Cluster;

namespace Rtmfp.Gateway.Tests.Units;

/// <summary>
/// The gateway's flood bounds on their own: the token bucket behind the key-lookup and handshake budgets, and the
/// key cache's negative cache and in-flight fetch memory (docs/decisions.md), value by value.
/// </summary>
public class FloodBoundsTests
{
    [Fact]
    public void Token_bucket_starts_full_refills_at_its_rate_and_never_above_its_burst()
    {
        long t0 = Environment.TickCount64 + 1_000_000; // later than the bucket's creation: refills from there
        var bucket = new TokenBucket(ratePerSecond: 10, burst: 3);
        Assert.True(bucket.TryTake(t0));
        Assert.True(bucket.TryTake(t0));
        Assert.True(bucket.TryTake(t0));
        Assert.False(bucket.TryTake(t0));
        Assert.False(bucket.TryTake(t0 + 99)); // 0.99 of a token
        Assert.True(bucket.TryTake(t0 + 150)); // 1.5 tokens: one taken
        Assert.False(bucket.TryTake(t0 + 150));
        Assert.False(bucket.TryTake(t0 + 50)); // time going back adds nothing
        // A long pause refills to the burst only.
        long later = t0 + 60_000;
        int taken = 0;
        while (bucket.TryTake(later))
        {
            taken++;
        }
        Assert.Equal(3, taken);
    }

    [Fact]
    public void Unknown_ids_are_remembered_until_their_deadline()
    {
        using var cache = new SessionKeyCache();
        Assert.False(cache.IsKnownUnknown(7, 0));
        cache.MarkUnknown(7, untilMs: 1000);
        Assert.True(cache.IsKnownUnknown(7, 999));
        Assert.False(cache.IsKnownUnknown(8, 999));
        Assert.False(cache.IsKnownUnknown(7, 1000));
        Assert.False(cache.IsKnownUnknown(7, 0)); // expired entries are forgotten, not kept for earlier clocks
    }

    [Fact]
    public void The_negative_cache_is_bounded()
    {
        using var cache = new SessionKeyCache(maxNegativeEntries: 4);
        for (uint id = 1; id <= 4; id++)
        {
            cache.MarkUnknown(id, 1000);
        }
        Assert.True(cache.IsKnownUnknown(1, 0));
        cache.MarkUnknown(5, 1000); // full: starts over
        Assert.False(cache.IsKnownUnknown(1, 0));
        Assert.True(cache.IsKnownUnknown(5, 0));
    }

    [Fact]
    public void One_fetch_per_id_per_retry_interval()
    {
        using var cache = new SessionKeyCache();
        Assert.True(cache.BeginFetch(7, 1000, retryMs: 500));
        Assert.False(cache.BeginFetch(7, 1499, retryMs: 500));
        Assert.True(cache.BeginFetch(8, 1499, retryMs: 500));
        Assert.True(cache.BeginFetch(7, 1500, retryMs: 500));
        Assert.False(cache.BeginFetch(7, 1999, retryMs: 500));
        cache.MarkUnknown(7, 0); // an answer (unknown) ends the fetch
        Assert.True(cache.BeginFetch(7, 1999, retryMs: 500));
    }

    [Fact]
    public void The_fetch_memory_is_bounded()
    {
        using var cache = new SessionKeyCache(maxNegativeEntries: 3);
        Assert.True(cache.BeginFetch(1, 0, 500));
        Assert.True(cache.BeginFetch(2, 0, 500));
        Assert.False(cache.BeginFetch(1, 0, 500));
        Assert.True(cache.BeginFetch(3, 0, 500));
        Assert.True(cache.BeginFetch(1, 0, 500)); // was full: started over
    }

    [Fact]
    public void Keys_set_twice_keep_the_first_entry_and_end_a_pending_fetch_and_unknown_mark()
    {
        using var cache = new SessionKeyCache();
        cache.MarkUnknown(7, 10_000);
        var first = cache.Set(7, 0x11, Keys(), endpoint: null);
        Assert.False(cache.IsKnownUnknown(7, 0));
        Assert.True(cache.BeginFetch(9, 0, 500));
        var second = cache.Set(7, 0x22, Keys(), endpoint: null);
        Assert.Same(first, second);
        Assert.Equal(0x11u, second.FarSessionId);
        Assert.Equal(1, cache.Count);
        Assert.True(cache.TryGet(7, out var got));
        Assert.Same(first, got);
        Assert.Equal(new[] { 7u }, cache.SessionIds());

        Assert.False(cache.BeginFetch(9, 1, 500));
        cache.Set(9, 0x33, Keys(), endpoint: null);
        Assert.True(cache.BeginFetch(9, 1, 500));

        cache.Remove(7);
        Assert.False(cache.TryGet(7, out _));
        Assert.Equal(1, cache.Count);
    }

    private static SessionCryptoMaterial Keys() =>
        new(new byte[16], new byte[16], new byte[32], new byte[32], new byte[32], new byte[32], default);
}
