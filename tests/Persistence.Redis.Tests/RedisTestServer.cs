using StackExchange.Redis;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>
/// The Redis server the tests run against: scripts/test.sh starts one on loopback and exports
/// RTMFP_TEST_REDIS=127.0.0.1:port. Without it every test fails (never skips) with a clear message.
/// </summary>
internal static class RedisTestServer
{
    public const string Variable = "RTMFP_TEST_REDIS";

    private static readonly Lazy<ConnectionMultiplexer> Inspector = new(() => ConnectionMultiplexer.Connect(ConnectionString));

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{Variable} not set: run ./scripts/test.sh");

    /// <summary>A key prefix no other test uses, so tests can share one server in parallel.</summary>
    public static string NewKeyPrefix() => $"test-{Guid.NewGuid():N}:";

    /// <summary>Direct access for assertions on the stored layout.</summary>
    public static IDatabase Database(int db = 0) => Inspector.Value.GetDatabase(db);

    public static async Task DeleteKeysAsync(string keyPrefix)
    {
        foreach (var endPoint in Inspector.Value.GetEndPoints())
        {
            var server = Inspector.Value.GetServer(endPoint);
            for (var db = 0; db < 8; db++)
                await foreach (var key in server.KeysAsync(db, pattern: keyPrefix + "*"))
                    await Inspector.Value.GetDatabase(db).KeyDeleteAsync(key);
        }
    }
}
