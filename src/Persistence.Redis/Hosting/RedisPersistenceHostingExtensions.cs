using Akka.Hosting;
using Akka.Persistence.Hosting;

namespace Rtmfp.Persistence.Redis.Hosting;

/// <summary>Akka.Hosting registration of the Redis journal and snapshot store.</summary>
public static class RedisPersistenceHostingExtensions
{
    /// <summary>
    /// Registers the Redis journal and/or snapshot store under <paramref name="pluginIdentifier"/>, by
    /// default as the system's default persistence plugins.
    /// </summary>
    public static AkkaConfigurationBuilder WithRedisPersistence(
        this AkkaConfigurationBuilder builder,
        string connectionString,
        string keyPrefix = "",
        PersistenceMode mode = PersistenceMode.Both,
        Action<AkkaPersistenceJournalBuilder>? journalBuilder = null,
        string pluginIdentifier = "redis",
        bool isDefaultPlugin = true)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(connectionString);
        ArgumentNullException.ThrowIfNull(keyPrefix);
        if (mode == PersistenceMode.SnapshotStore && journalBuilder is not null)
            throw new ArgumentException($"{nameof(journalBuilder)} needs a journal: {nameof(mode)} must be Journal or Both",
                nameof(journalBuilder));

        RedisJournalOptions? journal = null;
        if (mode is PersistenceMode.Journal or PersistenceMode.Both)
        {
            journal = new RedisJournalOptions(isDefaultPlugin, pluginIdentifier)
            {
                ConfigurationString = connectionString,
                KeyPrefix = keyPrefix,
            };
        }

        RedisSnapshotOptions? snapshot = mode is PersistenceMode.SnapshotStore or PersistenceMode.Both
            ? new RedisSnapshotOptions(isDefaultPlugin, pluginIdentifier)
            {
                ConfigurationString = connectionString,
                KeyPrefix = keyPrefix,
            }
            : null;

        return builder.WithRedisPersistence(journal, snapshot, journalBuilder);
    }

    /// <summary>
    /// Registers whichever of the two plugins is given (at least one); <paramref name="journalBuilder"/>
    /// adds event adapters to the journal.
    /// </summary>
    public static AkkaConfigurationBuilder WithRedisPersistence(
        this AkkaConfigurationBuilder builder,
        RedisJournalOptions? journalOptions,
        RedisSnapshotOptions? snapshotOptions,
        Action<AkkaPersistenceJournalBuilder>? journalBuilder = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (journalOptions is null && snapshotOptions is null)
            throw new ArgumentException($"{nameof(journalOptions)} and {nameof(snapshotOptions)} cannot both be null");

        if (journalOptions is not null)
            builder.WithJournal(journalOptions, journalBuilder ?? (static _ => { }));
        else if (journalBuilder is not null)
            throw new ArgumentException($"{nameof(journalBuilder)} needs {nameof(journalOptions)}", nameof(journalBuilder));
        if (snapshotOptions is not null)
            builder.WithSnapshot(snapshotOptions);
        // The snapshot serializer registration (id 48) and the stock plugin blocks.
        return builder.AddHocon(RedisPersistence.DefaultConfig(), HoconAddMode.Append);
    }
}
