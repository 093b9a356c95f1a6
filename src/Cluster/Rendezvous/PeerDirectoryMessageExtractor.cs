using System.Buffers.Binary;

namespace Rtmfp.Cluster;

/// <summary>Routes <see cref="IPeerDirectoryMessage"/>s by peer ID (entity ID = 64 lower-case hex digits).</summary>
public sealed class PeerDirectoryMessageExtractor(int shardCount) : EntityMessageExtractor(shardCount)
{
    public override string? EntityId(object message) => message is IPeerDirectoryMessage m && m.PeerId.Length == 32 ? EntityIdOf(m.PeerId) : null;

    public override string? ShardId(object message) => message is IPeerDirectoryMessage m && m.PeerId.Length == 32 ? ShardOf(m.PeerId) : null;

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

    public static string EntityIdOf(ReadOnlySpan<byte> peerId) => Convert.ToHexStringLower(peerId);

    // Peer IDs are SHA-256 outputs: their leading bytes are already uniform.
    private string ShardOf(ReadOnlySpan<byte> peerId) => ShardOf(BinaryPrimitives.ReadUInt32BigEndian(peerId));
}
