using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>
/// An ActorSystem whose default journal and snapshot store are the Redis plugins, under a key prefix
/// of its own. The test serializers are bound here for every spec.
/// </summary>
public abstract class RedisPersistenceSpec : Akka.TestKit.Xunit.TestKit
{
    protected RedisPersistenceSpec(string? extraHocon = null) : this(RedisTestServer.NewKeyPrefix(), extraHocon)
    {
    }

    private RedisPersistenceSpec(string keyPrefix, string? extraHocon)
        : base(BuildConfig(keyPrefix, extraHocon), "redis-spec")
    {
        KeyPrefix = keyPrefix;
    }

    protected string KeyPrefix { get; }

    /// <summary>
    /// Starts the journal and the snapshot store and waits for their first answers, which also cover connecting to
    /// Redis (seconds on a loaded machine). A test's own expectations (3 s each by default) then time commands only.
    /// For specs whose plugins can reach Redis.
    /// </summary>
    protected void StartPlugins()
    {
        var timeout = TimeSpan.FromSeconds(20);
        var probe = CreateTestProbe();
        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, "plugin-start", probe.Ref));
        probe.ExpectMsg<RecoverySuccess>(timeout);
        SnapshotStore.Tell(new LoadSnapshot("plugin-start", SnapshotSelectionCriteria.Latest, long.MaxValue), probe.Ref);
        probe.ExpectMsg<LoadSnapshotResult>(timeout);
    }

    protected IActorRef Journal => Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null);

    protected IActorRef SnapshotStore => Akka.Persistence.Persistence.Instance.Apply(Sys).SnapshotStoreFor(null);

    public static Config BuildConfig(string keyPrefix, string? extraHocon)
    {
        var connectionString = RedisTestServer.ConnectionString;
        return ConfigurationFactory.ParseString(extraHocon ?? string.Empty)
            .WithFallback(ConfigurationFactory.ParseString($$"""
                akka.loglevel = WARNING
                akka.persistence.journal.plugin = "akka.persistence.journal.redis"
                akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.redis"
                akka.persistence.journal.redis {
                  configuration-string = "{{connectionString}}"
                  key-prefix = "{{keyPrefix}}"
                }
                akka.persistence.snapshot-store.redis {
                  configuration-string = "{{connectionString}}"
                  key-prefix = "{{keyPrefix}}"
                }
                akka.actor {
                  serializers {
                    test-event = "Rtmfp.Persistence.Redis.Tests.TestEventSerializer, Rtmfp.Persistence.Redis.Tests"
                    throwing = "Rtmfp.Persistence.Redis.Tests.ThrowingSerializer, Rtmfp.Persistence.Redis.Tests"
                  }
                  serialization-bindings {
                    "Rtmfp.Persistence.Redis.Tests.TestEvent, Rtmfp.Persistence.Redis.Tests" = test-event
                    "Rtmfp.Persistence.Redis.Tests.Unserializable, Rtmfp.Persistence.Redis.Tests" = throwing
                  }
                }
                """))
            .WithFallback(RedisPersistence.DefaultConfig());
    }

    protected static Persistent Event(object payload, long sequenceNr, string persistenceId, string writerGuid = "writer-1") =>
        new(payload, sequenceNr, persistenceId, string.Empty, false, ActorRefs.NoSender, writerGuid);

    protected override void AfterAll()
    {
        base.AfterAll();
        RedisTestServer.DeleteKeysAsync(KeyPrefix).GetAwaiter().GetResult();
    }
}
