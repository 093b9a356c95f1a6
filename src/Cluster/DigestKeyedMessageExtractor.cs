using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Rtmfp.Cluster;

/// <summary>
/// Routes messages keyed by a 32-byte SHA-256 output (a peer ID, RFC 7425 §4.3.2, or a group ID): the entity ID is
/// the key as 64 lower-case hex digits, and the shard comes from the key's leading bytes, which are already uniform.
/// </summary>
public abstract class DigestKeyedMessageExtractor(int shardCount) : EntityMessageExtractor(shardCount)
{
    /// <summary>Length of the key in bytes.</summary>
    public const int KeyLength = SHA256.HashSizeInBytes;

    public override string? EntityId(object message) => KeyOf(message) is { Length: KeyLength } key ? EntityIdOf(key) : null;

    public override string? ShardId(object message) => KeyOf(message) is { Length: KeyLength } key ? ShardOf(key) : null;

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

    public static string EntityIdOf(ReadOnlySpan<byte> key) => Convert.ToHexStringLower(key);

    /// <summary>The key back from an entity ID this extractor made; false for anything else.</summary>
    public static bool TryParseEntityId(string entityId, out byte[] key)
    {
        key = [];
        if (entityId.Length != 2 * KeyLength)
        {
            return false;
        }
        try
        {
            key = Convert.FromHexString(entityId);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>The key of a message of this region, or null for a message that is not.</summary>
    protected abstract byte[]? KeyOf(object message);

    private string ShardOf(ReadOnlySpan<byte> key) => ShardOf(BinaryPrimitives.ReadUInt32BigEndian(key));
}
