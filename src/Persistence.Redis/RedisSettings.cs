using Akka.Configuration;

namespace Rtmfp.Persistence.Redis;

/// <summary>Settings of one plugin instance, read from its HOCON block.</summary>
public sealed record RedisSettings(
    string ConfigurationString,
    string KeyPrefix,
    int Database,
    bool UseDatabaseNumberFromConnectionString)
{
    public static RedisSettings Create(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new RedisSettings(
            config.GetString("configuration-string", string.Empty),
            config.GetString("key-prefix", string.Empty),
            config.GetInt("database", 0),
            config.GetBoolean("use-database-number-from-connection-string", false));
    }
}
