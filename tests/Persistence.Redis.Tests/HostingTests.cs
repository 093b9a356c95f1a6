using Akka.Actor;
using Akka.Hosting;
using Akka.Persistence;
using Akka.Persistence.Hosting;
using Rtmfp.Persistence.Redis.Hosting;
using StackExchange.Redis;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>WithRedisPersistence(connectionString, keyPrefix) registers both plugins as the defaults.</summary>
public sealed class HostingDefaultPluginTests : Akka.Hosting.TestKit.TestKit
{
    private readonly string _prefix = RedisTestServer.NewKeyPrefix();

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder.WithRedisPersistence(RedisTestServer.ConnectionString, _prefix);

    [Fact]
    public void Registers_the_journal_and_snapshot_store_as_defaults()
    {
        var config = Sys.Settings.Config;
        Assert.Equal("akka.persistence.journal.redis", config.GetString("akka.persistence.journal.plugin"));
        Assert.Equal("akka.persistence.snapshot-store.redis", config.GetString("akka.persistence.snapshot-store.plugin"));
        Assert.Equal(_prefix, config.GetString("akka.persistence.journal.redis.key-prefix"));
        Assert.Equal(RedisTestServer.ConnectionString, config.GetString("akka.persistence.snapshot-store.redis.configuration-string"));
        Assert.Contains("RedisJournal", config.GetString("akka.persistence.journal.redis.class"));
        Assert.Equal(48, Sys.Serialization.FindSerializerForType(typeof(SelectedSnapshot)).Identifier);
    }

    [Fact(Timeout = 30_000)]
    public async Task Persists_snapshots_and_recovers_a_persistent_actor()
    {
        var first = Sys.ActorOf(Recorder.Props("hosted"));
        first.Tell("a", TestActor);
        ExpectMsg("a");
        first.Tell(new Recorder.TakeSnapshot(), TestActor);
        ExpectMsg<SaveSnapshotSuccess>();
        first.Tell("b", TestActor);
        ExpectMsg("b");
        Watch(first);
        first.Tell(PoisonPill.Instance);
        ExpectTerminated(first);

        var second = Sys.ActorOf(Recorder.Props("hosted"));
        second.Tell(new Recorder.GetState(), TestActor);
        var state = ExpectMsg<Recorder.State>();
        Assert.Equal(["a", "b"], state.Events);
        Assert.Equal(1, state.RecoveredFromSnapshotAt);

        Assert.Equal(2, await RedisTestServer.Database().SortedSetLengthAsync($"{_prefix}journal:persisted:hosted"));
        Assert.Equal(1, await RedisTestServer.Database().SortedSetLengthAsync($"{_prefix}snapshot:hosted"));
        await RedisTestServer.DeleteKeysAsync(_prefix);
    }
}

/// <summary>The options form: a second, non-default plugin id on its own database number.</summary>
public sealed class HostingOptionsTests : Akka.Hosting.TestKit.TestKit
{
    private const int Database = 4;
    private readonly string _prefix = RedisTestServer.NewKeyPrefix();

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder
            .WithInMemoryJournal()
            .WithInMemorySnapshotStore()
            .WithRedisPersistence(
                new RedisJournalOptions(false, "redis-b")
                {
                    ConfigurationString = RedisTestServer.ConnectionString, KeyPrefix = _prefix, Database = Database,
                },
                new RedisSnapshotOptions(false, "redis-b")
                {
                    ConfigurationString = RedisTestServer.ConnectionString, KeyPrefix = _prefix, Database = Database,
                });

    [Fact]
    public void Leaves_the_default_plugins_alone()
    {
        var config = Sys.Settings.Config;
        Assert.Equal("akka.persistence.journal.inmem", config.GetString("akka.persistence.journal.plugin"));
        Assert.Equal(Database, config.GetInt("akka.persistence.journal.redis-b.database"));
        Assert.Equal(_prefix, config.GetString("akka.persistence.snapshot-store.redis-b.key-prefix"));
    }

    [Fact(Timeout = 30_000)]
    public async Task Stores_into_the_configured_database_under_the_plugin_id()
    {
        var actor = Sys.ActorOf(Recorder.Props("optioned", "redis-b"));
        actor.Tell("x", TestActor);
        ExpectMsg("x");
        actor.Tell(new Recorder.TakeSnapshot(), TestActor);
        ExpectMsg<SaveSnapshotSuccess>();

        Assert.Equal(1, await RedisTestServer.Database(Database).SortedSetLengthAsync($"{_prefix}journal:persisted:optioned"));
        Assert.Equal("1", (string?)await RedisTestServer.Database(Database).StringGetAsync($"{_prefix}journal:persisted:optioned:highestSequenceNr"));
        Assert.Equal(RedisType.SortedSet, await RedisTestServer.Database(Database).KeyTypeAsync($"{_prefix}snapshot:optioned"));
        Assert.False(await RedisTestServer.Database(0).KeyExistsAsync($"{_prefix}journal:persisted:optioned"));
        await RedisTestServer.DeleteKeysAsync(_prefix);
    }
}

/// <summary>The HOCON the option classes emit, and argument checks of the registration.</summary>
public sealed class HostingHoconTests
{
    [Fact]
    public void Journal_options_emit_the_plugin_block_and_default_flag()
    {
        var hocon = new RedisJournalOptions(true, "redis")
        {
            ConfigurationString = "h:1,password=p", KeyPrefix = "k:", Database = 2, UseDatabaseFromConnectionString = true,
        }.ToConfig();
        Assert.Equal("h:1,password=p", hocon.GetString("akka.persistence.journal.redis.configuration-string"));
        Assert.Equal("k:", hocon.GetString("akka.persistence.journal.redis.key-prefix"));
        Assert.Equal(2, hocon.GetInt("akka.persistence.journal.redis.database"));
        Assert.True(hocon.GetBoolean("akka.persistence.journal.redis.use-database-number-from-connection-string"));
        Assert.Equal("akka.persistence.journal.redis", hocon.GetString("akka.persistence.journal.plugin"));
    }

    [Fact]
    public void Snapshot_options_leave_unset_values_to_the_defaults()
    {
        var options = new RedisSnapshotOptions(false, "other") { ConfigurationString = "h:1" };
        var hocon = options.ToConfig().WithFallback(options.DefaultConfig);
        Assert.Equal("", hocon.GetString("akka.persistence.snapshot-store.other.key-prefix"));
        Assert.Equal(0, hocon.GetInt("akka.persistence.snapshot-store.other.database"));
        Assert.Contains("RedisSnapshotStore", hocon.GetString("akka.persistence.snapshot-store.other.class"));
        Assert.False(hocon.HasPath("akka.persistence.snapshot-store.plugin"));
    }

    [Fact]
    public void Refuses_a_journal_builder_without_a_journal()
    {
        var builder = new AkkaConfigurationBuilder(new Microsoft.Extensions.DependencyInjection.ServiceCollection(), "x");
        Assert.Throws<ArgumentException>(() =>
            builder.WithRedisPersistence("h:1", mode: PersistenceMode.SnapshotStore, journalBuilder: _ => { }));
        Assert.Throws<ArgumentException>(() => builder.WithRedisPersistence((RedisJournalOptions?)null, null));
    }
}
