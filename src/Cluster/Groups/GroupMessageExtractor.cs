namespace Rtmfp.Cluster;

/// <summary>Routes <see cref="IGroupMessage"/>s by group ID (entity ID = 64 lower-case hex digits).</summary>
public sealed class GroupMessageExtractor(int shardCount) : DigestKeyedMessageExtractor(shardCount)
{
    protected override byte[]? KeyOf(object message) => (message as IGroupMessage)?.GroupId;
}
