using System.Globalization;
using Akka.Cluster.Sharding;

namespace Rtmfp.Cluster;

/// <summary>
/// What every message extractor here shares: messages travel to their entity unwrapped, and shard IDs are strings
/// made once per shard rather than once per message (the session and stream regions route packets and frames until
/// the sender learns the entity's own reference).
/// </summary>
public abstract class EntityMessageExtractor : IMessageExtractor
{
    private readonly string[] _shardIds;

    protected EntityMessageExtractor(int shardCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardCount, 1);
        _shardIds = new string[shardCount];
        for (int i = 0; i < shardCount; i++)
        {
            _shardIds[i] = i.ToString(CultureInfo.InvariantCulture);
        }
    }

    public abstract string? EntityId(object message);

    public object? EntityMessage(object message) => message;

    public abstract string? ShardId(object message);

    public abstract string ShardId(string entityId, object? messageHint = null);

    /// <summary>The shard of an entity whose key hashes to <paramref name="hash"/>.</summary>
    protected string ShardOf(uint hash) => _shardIds[ShardIndexOf(hash, _shardIds.Length)];

    /// <summary>The index of that shard among <paramref name="shardCount"/> (its ID is the index in decimal).</summary>
    public static int ShardIndexOf(uint hash, int shardCount) => (int)(hash % (uint)shardCount);
}
