using Akka.Configuration;

namespace Rtmfp.Persistence.Redis;

/// <summary>Settings of one plugin instance, read from its HOCON block.</summary>
public sealed record RedisSettings(
    string ConfigurationString,
    string KeyPrefix,
    int Database,
    bool UseDatabaseNumberFromConnectionString)
{
    /// <summary>Settings of a plugin from its own block, what it leaves out taken from the plugin's reference block.</summary>
    public static RedisSettings Create(Config? pluginConfig, Config defaults) =>
        Create((pluginConfig ?? Config.Empty).WithFallback(defaults));

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
