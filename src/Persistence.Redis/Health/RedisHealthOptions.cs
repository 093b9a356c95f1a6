namespace Rtmfp.Persistence.Redis.Health;

/// <summary>What the health probe connects to and how often it asks.</summary>
public sealed record RedisHealthOptions(string ConfigurationString)
{
    /// <summary>The setting the operator changes, named in every log line (e.g. Rtmfp:Persistence:Redis).</summary>
    public string SettingName { get; init; } = "configuration-string";

    /// <summary>Time between two probes (PING), and between two reconnect attempts of the probe's connection.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A probe without an answer by then failed.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>While Redis stays unreachable, a reminder at Warning this often.</summary>
    public TimeSpan Reminder { get; init; } = TimeSpan.FromMinutes(1);
}
