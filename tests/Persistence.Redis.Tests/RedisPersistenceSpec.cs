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
    protected RedisPersistenceSpec(string? extraHocon = null) : this(RedisTarget.Standalone, extraHocon)
    {
    }

    protected RedisPersistenceSpec(RedisTarget target, string? extraHocon = null)
        : this(target, RedisTestServer.NewKeyPrefix(), extraHocon)
    {
    }

    private RedisPersistenceSpec(RedisTarget target, string keyPrefix, string? extraHocon)
        : base(BuildConfig(keyPrefix, extraHocon, target.ConnectionString), "redis-spec")
    {
        Target = target;
        KeyPrefix = keyPrefix;
    }

    protected RedisTarget Target { get; }

    protected string KeyPrefix { get; }

    /// <summary>The keys the plugins write for this spec (hash-tagged on a cluster).</summary>
    internal RedisKeys Keys => Target.Keys(KeyPrefix);

    /// <summary>
    /// Starts the journal and snapshot store and waits until each answered once, so that connecting to Redis (seconds
    /// on a loaded machine) is not charged to a test's own 3 s expectations. For specs whose plugins can reach Redis.
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

    public static Config BuildConfig(string keyPrefix, string? extraHocon, string? connectionString = null)
    {
        connectionString ??= RedisTestServer.ConnectionString;
        return ConfigurationFactory.ParseString(extraHocon ?? string.Empty)
            .WithFallback(ConfigurationFactory.ParseString($$"""
                akka.loglevel = WARNING
                # The first message of a fresh system connects both plugins and recovers: beyond the
                # 3 s default when the whole suite shares two cores.
                akka.test.single-expect-default = 10s
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
                    test-payload = "Rtmfp.Persistence.Redis.Tests.TestPayloadSerializer, Rtmfp.Persistence.Redis.Tests"
                  }
                  serialization-bindings {
                    "Rtmfp.Persistence.Redis.Tests.TestEvent, Rtmfp.Persistence.Redis.Tests" = test-event
                    "Rtmfp.Persistence.Redis.Tests.Unserializable, Rtmfp.Persistence.Redis.Tests" = throwing
                    "Rtmfp.Persistence.Redis.Tests.TestPayload, Rtmfp.Persistence.Redis.Tests" = test-payload
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
        Target.DeleteKeysAsync(KeyPrefix).GetAwaiter().GetResult();
    }
}
