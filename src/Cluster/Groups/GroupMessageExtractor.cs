using System.Buffers.Binary;

namespace Rtmfp.Cluster;

/// <summary>Routes <see cref="IGroupMessage"/>s by group ID (entity ID = 64 lower-case hex digits).</summary>
public sealed class GroupMessageExtractor(int shardCount) : EntityMessageExtractor(shardCount)
{
    public override string? EntityId(object message) => message is IGroupMessage m && m.GroupId.Length == 32 ? EntityIdOf(m.GroupId) : null;

    public override string? ShardId(object message) => message is IGroupMessage m && m.GroupId.Length == 32 ? ShardOf(m.GroupId) : null;

    public override string ShardId(string entityId, object? messageHint = null)
    {
        try
        {
            var bytes = Convert.FromHexString(entityId);
            return bytes.Length >= 4 ? ShardOf(bytes) : ShardOf(0);
        }
        catch (FormatException)
        {
            return ShardOf(0);
        }
    }

    public static string EntityIdOf(ReadOnlySpan<byte> groupId) => Convert.ToHexStringLower(groupId);

    public static bool TryParseEntityId(string entityId, out byte[] groupId)
    {
        groupId = [];
        if (entityId.Length != 64)
        {
            return false;
        }
        try
        {
            groupId = Convert.FromHexString(entityId);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    // Group IDs are SHA-256 outputs: their leading bytes are already uniform.
    private string ShardOf(ReadOnlySpan<byte> groupId) => ShardOf(BinaryPrimitives.ReadUInt32BigEndian(groupId));
}
