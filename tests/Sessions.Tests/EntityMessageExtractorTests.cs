using Rtmfp.Cluster;
using Rtmfp.Flash;

namespace Rtmfp.Sessions.Tests;

/// <summary>Shard IDs: the same function of the key as before, made once per shard, and agreeing for messages and entity IDs.</summary>
public sealed class EntityMessageExtractorTests
{
    [Fact]
    public void Session_shards_are_the_session_ID_modulo_the_shard_count_and_are_not_rebuilt_per_message()
    {
        var extractor = new SessionMessageExtractor(100);
        var first = extractor.ShardId(new FetchSessionKeys(0x1234_5678));
        Assert.Equal((0x1234_5678u % 100).ToString(System.Globalization.CultureInfo.InvariantCulture), first);
        Assert.Same(first, extractor.ShardId(new CloseSession(0x1234_5678)));
        Assert.Same(first, extractor.ShardId(SessionMessageExtractor.EntityIdOf(0x1234_5678)));
        Assert.Equal("12345678", extractor.EntityId(new FetchSessionKeys(0x1234_5678)));
        Assert.Equal("0", extractor.ShardId("not hex"));
        Assert.Null(extractor.ShardId((object)"a message for nobody"));
    }

    [Fact]
    public void Stream_and_peer_shards_agree_between_messages_and_entity_IDs()
    {
        var streams = new StreamMessageExtractor(100);
        var key = new StreamKey("Live", "cam");
        Assert.Same(streams.ShardId(new QueryStreamLive(key)), streams.ShardId(StreamMessageExtractor.EntityIdOf(key)));

        var peers = new PeerDirectoryMessageExtractor(100);
        var peerId = new byte[32];
        peerId[3] = 201;
        Assert.Equal("1", peers.ShardId(new RegisterPeer(peerId))); // 201 % 100, from the leading four bytes
        Assert.Same(peers.ShardId(new RegisterPeer(peerId)), peers.ShardId(PeerDirectoryMessageExtractor.EntityIdOf(peerId)));
        Assert.Null(peers.ShardId(new RegisterPeer(new byte[5])));
    }
}
