namespace Rtmfp.Persistence.Redis;

/// <summary>
/// Key layout of Akka.Persistence.Redis (dependencies.md §3 "Key layout"). On Redis Cluster every
/// key of a persistenceId gets the hash tag <c>{__pid}.</c> in front, so the events, the high-water
/// mark and the snapshots share one slot and MULTI/EXEC over them is legal.
/// </summary>
internal sealed class RedisKeys(string keyPrefix, bool clustered)
{
    public string KeyPrefix { get; } = keyPrefix;

    public bool Clustered { get; } = clustered;

    /// <summary>Sorted set of serialized Persistent envelopes, score = sequenceNr.</summary>
    public string Journal(string persistenceId) =>
        Clustered
            ? $"{{__{persistenceId}}}.{KeyPrefix}journal:persisted:{persistenceId}"
            : $"{KeyPrefix}journal:persisted:{persistenceId}";

    /// <summary>String holding the highest sequenceNr ever written; survives deletes.</summary>
    public string HighestSequenceNr(string persistenceId) =>
        Clustered
            ? $"{{__{persistenceId}}}.{KeyPrefix}journal:persisted:{persistenceId}:highestSequenceNr"
            : $"{KeyPrefix}journal:persisted:{persistenceId}:highestSequenceNr";

    /// <summary>Sorted set of serialized snapshots, score = sequenceNr.</summary>
    public string Snapshot(string persistenceId) =>
        Clustered
            ? $"{{__{persistenceId}}}.{KeyPrefix}snapshot:{persistenceId}"
            : $"{KeyPrefix}snapshot:{persistenceId}";
}
