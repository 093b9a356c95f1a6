using Akka.Configuration;

namespace Rtmfp.Persistence.Redis;

/// <summary>Settings of one plugin instance, read from its HOCON block.</summary>
public sealed record RedisSettings(
    string ConfigurationString,
    string KeyPrefix,
    int Database,
    bool UseDatabaseNumberFromConnectionString)
{
    /// <summary>How long and how often an operation retries transient Redis errors (block <c>retry</c>).</summary>
    public RedisRetrySettings Retry { get; init; } = RedisRetrySettings.Default;

    /// <summary>Settings of a plugin from its own block, what it leaves out taken from the plugin's reference block.</summary>
    public static RedisSettings Create(Config? pluginConfig, Config defaults) =>
        Create((pluginConfig ?? Config.Empty).WithFallback(defaults));

    public static RedisSettings Create(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var d = RedisRetrySettings.Default;
        return new RedisSettings(
            config.GetString("configuration-string", string.Empty),
            config.GetString("key-prefix", string.Empty),
            config.GetInt("database", 0),
            config.GetBoolean("use-database-number-from-connection-string", false))
        {
            Retry = new RedisRetrySettings(
                config.GetTimeSpan("retry.max-duration", d.MaxDuration),
                config.GetTimeSpan("retry.min-backoff", d.MinBackoff),
                config.GetTimeSpan("retry.max-backoff", d.MaxBackoff)).Validate(),
        };
    }
}

/// <summary>
/// Retries of one plugin operation: exponential backoff from <paramref name="MinBackoff"/> to
/// <paramref name="MaxBackoff"/> (±20 % jitter), for at most <paramref name="MaxDuration"/> in all.
/// </summary>
public sealed record RedisRetrySettings(TimeSpan MaxDuration, TimeSpan MinBackoff, TimeSpan MaxBackoff)
{
    /// <summary>Rides out a Redis restart or failover of a few seconds; shorter than the breakers' call-timeout (20 s).</summary>
    public static RedisRetrySettings Default { get; } = new(TimeSpan.FromSeconds(8), TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1));

    /// <summary>No retry at all: the first transient error fails the operation.</summary>
    public static RedisRetrySettings None { get; } = new(TimeSpan.Zero, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1));

    internal RedisRetrySettings Validate()
    {
        if (MaxDuration < TimeSpan.Zero || MinBackoff <= TimeSpan.Zero || MaxBackoff < MinBackoff)
            throw new ConfigurationException(
                $"Redis persistence plugin: retry needs max-duration >= 0 and 0 < min-backoff <= max-backoff (got {MaxDuration}, {MinBackoff}, {MaxBackoff})");
        return this;
    }
}
