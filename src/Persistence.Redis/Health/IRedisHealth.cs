namespace Rtmfp.Persistence.Redis.Health;

/// <summary>
/// Whether the Redis the persistence plugins use answers, for a readiness check: false until the first
/// successful probe, false while it does not answer, true again once it does.
/// </summary>
public interface IRedisHealth
{
    /// <summary>The last probe got an answer.</summary>
    bool IsReachable { get; }

    /// <summary>Why the last failed probe failed (first sentence of the driver's error); null before any failure.</summary>
    string? LastError { get; }

    /// <summary>When <see cref="IsReachable"/> last changed (or the first probe ended); null before the first probe.</summary>
    DateTimeOffset? Since { get; }

    /// <summary>The endpoints probed, as in the configuration string (no password).</summary>
    string Endpoints { get; }

    /// <summary>Raised after <see cref="IsReachable"/> changes (on the probe's thread).</summary>
    event Action<bool>? Changed;
}
