namespace Rtmfp.Cluster;

/// <summary>Routes <see cref="IPeerDirectoryMessage"/>s by peer ID (entity ID = 64 lower-case hex digits).</summary>
public sealed class PeerDirectoryMessageExtractor(int shardCount) : DigestKeyedMessageExtractor(shardCount)
{
    protected override byte[]? KeyOf(object message) => (message as IPeerDirectoryMessage)?.PeerId;
}
