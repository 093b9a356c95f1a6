using Akka.Configuration;

namespace Rtmfp.Persistence.Redis;

/// <summary>
/// Configuration paths and the default HOCON of the Redis journal and snapshot store. Same keys as
/// Akka.Persistence.Redis (dependencies.md §3 "Configuration"), so a deployment can switch plugins
/// without touching its config or its data.
/// </summary>
public static class RedisPersistence
{
    public const string JournalConfigPath = "akka.persistence.journal.redis";
    public const string SnapshotStoreConfigPath = "akka.persistence.snapshot-store.redis";

    // Parsed once: Config is immutable.
    private static readonly Config Default = ConfigurationFactory.ParseString(ReferenceConf);

    /// <summary>The plugin's reference configuration (both plugins and the snapshot serializer).</summary>
    public static Config DefaultConfig() => Default;

    internal static Config DefaultJournalConfig => Default.GetConfig(JournalConfigPath);

    internal static Config DefaultSnapshotStoreConfig => Default.GetConfig(SnapshotStoreConfigPath);

    private const string ReferenceConf = """
        akka.persistence {
          journal.redis {
            class = "Rtmfp.Persistence.Redis.Journal.RedisJournal, Rtmfp.Persistence.Redis"
            # StackExchange.Redis configuration string (host:port, password, ssl, defaultDatabase...)
            configuration-string = ""
            # true: the connection string's defaultDatabase wins over `database` (not on Redis Cluster)
            use-database-number-from-connection-string = false
            database = 0
            plugin-dispatcher = "akka.actor.default-dispatcher"
            # prepended to every key; never change it once data exists
            key-prefix = ""
          }
          snapshot-store.redis {
            class = "Rtmfp.Persistence.Redis.Snapshot.RedisSnapshotStore, Rtmfp.Persistence.Redis"
            configuration-string = ""
            use-database-number-from-connection-string = false
            database = 0
            plugin-dispatcher = "akka.actor.default-dispatcher"
            key-prefix = ""
          }
        }
        akka.actor {
          serializers {
            redis-snapshot = "Rtmfp.Persistence.Redis.Serialization.RedisSnapshotSerializer, Rtmfp.Persistence.Redis"
          }
          serialization-bindings {
            "Akka.Persistence.SelectedSnapshot, Akka.Persistence" = redis-snapshot
          }
        }
        """;
}
