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
            # Transient errors (connection lost or refused, timeouts, LOADING, TRYAGAIN, CLUSTERDOWN,
            # MASTERDOWN, READONLY) are retried with exponential backoff for at most max-duration per
            # operation; then the operation fails (a write: the persist fails and the actor stops).
            retry {
              max-duration = 8s
              min-backoff = 50ms
              max-backoff = 1s
            }
            # Akka's own breaker around every journal call: after max-failures failed calls in a row it
            # fails calls at once for reset-timeout, then lets one through. call-timeout must exceed
            # retry.max-duration plus one command timeout.
            circuit-breaker {
              max-failures = 10
              call-timeout = 20s
              reset-timeout = 5s
            }
          }
          snapshot-store.redis {
            class = "Rtmfp.Persistence.Redis.Snapshot.RedisSnapshotStore, Rtmfp.Persistence.Redis"
            configuration-string = ""
            use-database-number-from-connection-string = false
            database = 0
            plugin-dispatcher = "akka.actor.default-dispatcher"
            key-prefix = ""
            retry {
              max-duration = 8s
              min-backoff = 50ms
              max-backoff = 1s
            }
            circuit-breaker {
              max-failures = 5
              call-timeout = 20s
              reset-timeout = 5s
            }
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
