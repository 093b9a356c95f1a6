using Rtmfp.Flash;

namespace Rtmfp.Cluster;

/// <summary>Routes <see cref="IStreamMessage"/>s by stream key (entity ID = application + '/' + stream name).</summary>
public sealed class StreamMessageExtractor(int shardCount) : EntityMessageExtractor(shardCount)
{
    public override string? EntityId(object message) => message is IStreamMessage m ? EntityIdOf(m.Stream) : null;

    public override string? ShardId(object message) => message is IStreamMessage m ? ShardId(EntityIdOf(m.Stream)) : null;

    public override string ShardId(string entityId, object? messageHint = null) => ShardOf(StableHash(entityId));

    /// <summary>The application name cannot contain '/' (it is the first path segment), so the split is unambiguous.</summary>
    public static string EntityIdOf(StreamKey stream) => stream.Application.ToLowerInvariant() + "/" + stream.Name;

    public static StreamKey KeyOf(string entityId)
    {
        int slash = entityId.IndexOf('/');
        return slash < 0 ? new StreamKey(string.Empty, entityId) : new StreamKey(entityId[..slash], entityId[(slash + 1)..]);
    }

    // FNV-1a: string.GetHashCode is randomized per process, and every node must agree.
    private static uint StableHash(string s)
    {
        uint h = 2166136261;
        foreach (char c in s)
        {
            h = (h ^ c) * 16777619;
        }
        return h;
    }
}
