using Akka.Configuration;
using StackExchange.Redis;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>Key layout (standalone and Redis Cluster forms), settings parsing and database choice.</summary>
public sealed class RedisKeysAndSettingsTests
{
    [Fact]
    public void Builds_standalone_keys_with_the_prefix()
    {
        var keys = new RedisKeys("app:", clustered: false);
        Assert.Equal("app:journal:persisted:session-7", keys.Journal("session-7"));
        Assert.Equal("app:journal:persisted:session-7:highestSequenceNr", keys.HighestSequenceNr("session-7"));
        Assert.Equal("app:snapshot:session-7", keys.Snapshot("session-7"));
    }

    [Fact]
    public void Builds_cluster_keys_with_the_persistence_id_hash_tag()
    {
        var keys = new RedisKeys("app:", clustered: true);
        Assert.Equal("{__session-7}.app:journal:persisted:session-7", keys.Journal("session-7"));
        Assert.Equal("{__session-7}.app:journal:persisted:session-7:highestSequenceNr", keys.HighestSequenceNr("session-7"));
        Assert.Equal("{__session-7}.app:snapshot:session-7", keys.Snapshot("session-7"));
    }

    [Fact]
    public void Puts_all_keys_of_a_persistence_id_into_one_cluster_slot()
    {
        var keys = new RedisKeys("p:", clustered: true);
        var slot = ClusterSlot(keys.Journal("abc"));
        Assert.Equal(slot, ClusterSlot(keys.HighestSequenceNr("abc")));
        Assert.Equal(slot, ClusterSlot(keys.Snapshot("abc")));
        Assert.Equal(ClusterSlot("__abc"), slot);
    }

    [Fact]
    public void Reads_settings_with_defaults_from_the_reference_config()
    {
        var defaults = RedisSettings.Create(RedisPersistence.DefaultConfig().GetConfig(RedisPersistence.JournalConfigPath));
        Assert.Equal(new RedisSettings("", "", 0, false), defaults);

        var custom = RedisSettings.Create(ConfigurationFactory.ParseString("""
            configuration-string = "localhost:6379,defaultDatabase=3"
            key-prefix = "rtmfp:"
            database = 5
            use-database-number-from-connection-string = true
            """));
        Assert.Equal(new RedisSettings("localhost:6379,defaultDatabase=3", "rtmfp:", 5, true), custom);
    }

    [Fact]
    public void Names_the_plugin_classes_and_config_paths_of_Akka_Persistence_Redis()
    {
        var config = RedisPersistence.DefaultConfig();
        Assert.Equal("akka.persistence.journal.redis", RedisPersistence.JournalConfigPath);
        Assert.Equal("akka.persistence.snapshot-store.redis", RedisPersistence.SnapshotStoreConfigPath);
        Assert.Equal(typeof(Journal.RedisJournal), Type.GetType(config.GetString("akka.persistence.journal.redis.class")));
        Assert.Equal(typeof(Snapshot.RedisSnapshotStore), Type.GetType(config.GetString("akka.persistence.snapshot-store.redis.class")));
    }

    [Theory]
    [InlineData(false, false, 5)] // `database` wins by default
    [InlineData(true, false, 3)]  // the connection string's defaultDatabase when asked
    [InlineData(true, true, 0)]   // Redis Cluster only has database 0
    [InlineData(false, true, 0)]
    public void Selects_the_database(bool fromConnectionString, bool clustered, int expected)
    {
        var settings = new RedisSettings("localhost,defaultDatabase=3", "", 5, fromConnectionString);
        Assert.Equal(expected, RedisConnection.SelectDatabase(settings, ConfigurationOptions.Parse(settings.ConfigurationString), clustered));
    }

    [Fact]
    public void Falls_back_to_database_when_the_connection_string_names_none()
    {
        var settings = new RedisSettings("localhost", "", 5, true);
        Assert.Equal(5, RedisConnection.SelectDatabase(settings, ConfigurationOptions.Parse(settings.ConfigurationString), false));
    }

    /// <summary>Redis Cluster key slot: CRC16/XMODEM of the hash tag (or the key) mod 16384.</summary>
    private static int ClusterSlot(string key)
    {
        var open = key.IndexOf('{');
        if (open >= 0)
        {
            var close = key.IndexOf('}', open + 1);
            if (close > open + 1) key = key[(open + 1)..close];
        }
        ushort crc = 0;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(key))
        {
            crc ^= (ushort)(b << 8);
            for (var i = 0; i < 8; i++)
                crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ 0x1021) : (ushort)(crc << 1);
        }
        return crc % 16384;
    }
}
