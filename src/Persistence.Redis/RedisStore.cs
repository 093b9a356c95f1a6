using StackExchange.Redis;

namespace Rtmfp.Persistence.Redis;

/// <summary>What a connected plugin works with: the database chosen by the settings and its key layout.</summary>
internal sealed record RedisStore(IConnectionMultiplexer Multiplexer, IDatabase Database, RedisKeys Keys);
