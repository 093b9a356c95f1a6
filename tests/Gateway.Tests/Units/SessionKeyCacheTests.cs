using System.Net;
using Rtmfp.Cluster;
using Rtmfp.Gateway.Transport;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Gateway.Tests.Units;

/// <summary>
/// The key cache's entries (docs/architecture.md: soft state refilled from the session entity): a session's keys never
/// change, so a second Set keeps the entry in use and only fills an endpoint it lacked; Remove and Dispose empty it.
/// </summary>
public sealed class SessionKeyCacheTests : IAsyncDisposable
{
    private readonly UdpEndpoint _first = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly UdpEndpoint _second = new(new IPEndPoint(IPAddress.Loopback, 0));

    public async ValueTask DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
    }

    private static SessionCryptoMaterial Keys(byte seed) =>
        new(Enumerable.Repeat(seed, 16).ToArray(), Enumerable.Repeat((byte)(seed + 1), 16).ToArray(),
            new byte[32], new byte[32], new byte[32], new byte[32], default);

    [Fact]
    public void A_second_Set_keeps_the_entry_in_use_and_fills_only_a_missing_endpoint()
    {
        using var cache = new SessionKeyCache();
        var entry = cache.Set(5, 50, Keys(1), endpoint: null);
        Assert.Null(entry.Endpoint);
        Assert.Equal(50u, entry.FarSessionId);

        var again = cache.Set(5, 51, Keys(2), _first);
        Assert.Same(entry, again);
        Assert.Equal(50u, again.FarSessionId);
        Assert.Same(_first, entry.Endpoint);

        cache.Set(5, 50, Keys(1), _second); // the endpoint the client last reached us on is not replaced by a refill
        Assert.Same(_first, entry.Endpoint);
        cache.Set(5, 50, Keys(1), null);
        Assert.Same(_first, entry.Endpoint);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void Set_clears_the_negative_cache_and_the_fetch_in_flight()
    {
        using var cache = new SessionKeyCache();
        cache.MarkUnknown(6, untilMs: 10_000);
        Assert.True(cache.BeginFetch(7, 0, retryMs: 1_000));
        cache.Set(6, 60, Keys(3), null);
        cache.Set(7, 70, Keys(4), null);
        Assert.False(cache.IsKnownUnknown(6, 0));
        Assert.True(cache.BeginFetch(7, 1, retryMs: 1_000)); // after a Set, a later miss may fetch at once
    }

    [Fact]
    public void An_ended_sessions_entry_is_removed_only_while_it_still_holds_its_ID()
    {
        using var cache = new SessionKeyCache();
        var ended = cache.Set(8, 80, Keys(5), null);
        ended.BeginLinger(nextSequenceNumber: 100);
        var next = cache.Set(8, 81, Keys(6), null); // a new session under the lingering ID replaces the entry
        Assert.NotSame(ended, next);

        cache.Remove(ended); // the old linger's end, or a drain that saw it: the new session keeps its keys
        cache.RemoveLingering();
        Assert.True(cache.TryGet(8, out var kept));
        Assert.Same(next, kept);

        next.BeginLinger(nextSequenceNumber: 5);
        cache.RemoveLingering();
        Assert.False(cache.TryGet(8, out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Remove_and_Dispose_drop_entries_and_unknown_ids_are_ignored()
    {
        var cache = new SessionKeyCache();
        cache.Set(1, 10, Keys(5), null);
        cache.Set(2, 20, Keys(6), null);
        cache.Set(3, 30, Keys(7), null);
        cache.Remove(99);
        Assert.Equal(3, cache.Count);
        cache.Remove(1);
        Assert.False(cache.TryGet(1, out _));
        Assert.True(cache.TryGet(2, out var two));
        Assert.Equal(2u, two.SessionId);
        Assert.Equal([2u, 3u], cache.SessionIds().Order());

        cache.Dispose();
        Assert.Equal(0, cache.Count);
        Assert.False(cache.TryGet(2, out _));
    }
}
