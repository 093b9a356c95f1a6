using System.Text;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Persistence.Hosting;

namespace Rtmfp.Persistence.Redis.Hosting;

/// <summary>Akka.Hosting options of the Redis snapshot store (block <c>akka.persistence.snapshot-store.&lt;Identifier&gt;</c>).</summary>
public sealed class RedisSnapshotOptions(bool isDefault, string identifier = "redis") : SnapshotOptions(isDefault)
{
    public RedisSnapshotOptions() : this(true)
    {
    }

    /// <summary>StackExchange.Redis configuration string.</summary>
    public string ConfigurationString { get; set; } = string.Empty;

    /// <summary>Prepended to every key; never change it once data exists.</summary>
    public string? KeyPrefix { get; set; }

    public int? Database { get; set; }

    public bool? UseDatabaseFromConnectionString { get; set; }

    public override string Identifier { get; set; } = identifier;

    protected override Config InternalDefaultConfig => RedisPersistence.DefaultSnapshotStoreConfig;

    protected override StringBuilder Build(StringBuilder sb)
    {
        RedisHocon.AppendSettings(sb, ConfigurationString, KeyPrefix, Database, UseDatabaseFromConnectionString);
        return base.Build(sb);
    }
}
