using StackExchange.Redis;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>Where a conformance spec runs: the shared standalone server, or a Redis Cluster of three masters.</summary>
public abstract class RedisTarget
{
    public static RedisTarget Standalone { get; } = new StandaloneTarget();

    public abstract string ConnectionString { get; }

    public abstract bool Clustered { get; }

    /// <summary>Direct access for assertions on the stored layout (database 0 on a cluster).</summary>
    public abstract IDatabase Database(int db = 0);

    /// <summary>The key layout the plugins use on this target.</summary>
    internal RedisKeys Keys(string keyPrefix) => new(keyPrefix, Clustered);

    public abstract Task DeleteKeysAsync(string keyPrefix);

    private sealed class StandaloneTarget : RedisTarget
    {
        public override string ConnectionString => RedisTestServer.ConnectionString;

        public override bool Clustered => false;

        public override IDatabase Database(int db = 0) => RedisTestServer.Database(db);

        public override Task DeleteKeysAsync(string keyPrefix) => RedisTestServer.DeleteKeysAsync(keyPrefix);
    }
}
