namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>One lazily, asynchronously connected multiplexer per plugin; failed attempts are retried.</summary>
public sealed class RedisConnectionTests
{
    [Fact(Timeout = 30_000)]
    public async Task Connects_once_and_shares_the_store()
    {
        var prefix = RedisTestServer.NewKeyPrefix();
        using var connection = new RedisConnection(new RedisSettings(RedisTestServer.ConnectionString, prefix, 2, false));
        var first = connection.GetStoreAsync();
        var second = connection.GetStoreAsync();
        Assert.Same(first, second);
        var store = await first;
        Assert.Equal(2, store.Database.Database);
        Assert.False(store.Keys.Clustered);
        Assert.Equal(prefix, store.Keys.KeyPrefix);
        Assert.True(store.Multiplexer.IsConnected);
    }

    [Fact(Timeout = 30_000)]
    public async Task Forgets_a_failed_attempt_and_tries_again()
    {
        using var connection = new RedisConnection(new RedisSettings(UnreachableRedisTests.ClosedEndPoint, "", 0, false));
        var first = connection.GetStoreAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => first);
        var second = connection.GetStoreAsync();
        Assert.NotSame(first, second);
        await Assert.ThrowsAnyAsync<Exception>(() => second);
    }

    [Fact(Timeout = 30_000)]
    public async Task Refuses_use_after_dispose_and_closes_the_multiplexer()
    {
        var connection = new RedisConnection(new RedisSettings(RedisTestServer.ConnectionString, "", 0, false));
        var store = await connection.GetStoreAsync();
        connection.Dispose();
        Assert.Throws<ObjectDisposedException>(() => { _ = connection.GetStoreAsync(); });
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (store.Multiplexer.IsConnected && DateTime.UtcNow < deadline)
            await Task.Delay(20, TestContext.Current.CancellationToken);
        Assert.False(store.Multiplexer.IsConnected);
    }

    [Fact(Timeout = 30_000)]
    public async Task Fails_clearly_without_a_configuration_string()
    {
        using var connection = new RedisConnection(new RedisSettings("", "", 0, false));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => connection.GetStoreAsync());
        Assert.Contains("configuration-string", e.Message);
    }
}
