using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.TestKit.Xunit;
using Rtmfp.Cluster;
using Rtmfp.Flash;
using Rtmfp.Sessions.Streams;
using Rtmfp.Sessions.Tests.Flash;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Sessions.Tests.Rtmfp;

public class StreamActorTests : TestKit
{
    private static readonly StreamKey Key = new("live", "cam");

    internal static MediaFrame Frame(RtmpMessageType type, uint ts, params byte[] payload)
    {
        Assert.True(MediaFrame.TryCreate(FlashTestClient.Media(type, ts, payload), new AmfReader(), out var frame));
        return frame;
    }

    private IActorRef Spawn(out Akka.TestKit.TestProbe parent, int idleMs = 30_000)
    {
        var probe = CreateTestProbe();
        parent = probe;
        return Sys.ActorOf(Props.Create(() => new ParentProbe(Props.Create(() => new StreamActor(StreamMessageExtractor.EntityIdOf(Key), TimeSpan.FromMilliseconds(idleMs))), probe.Ref)));
    }

    [Fact]
    public void One_publisher_at_a_time_and_every_subscriber_session_gets_the_same_frames()
    {
        var stream = Spawn(out _);
        var publisher = CreateTestProbe();
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        stream.Tell(new SubscribeStream(Key, a.Ref, 11));
        // The entity acknowledges a subscription as itself, so the session can watch it (issue 9).
        Assert.Equal(11, a.ExpectMsg<StreamSubscribed>().SubscriptionId);
        Assert.Equal(stream.Path, a.LastSender.Path.Parent); // the entity under its stand-in shard
        stream.Tell(new PublishStream(Key, new PublisherId(1, 1), publisher.Ref), publisher.Ref);
        Assert.True(publisher.ExpectMsg<PublishStreamResult>().Accepted);
        Assert.IsType<PublishNotify>(a.ExpectMsg<StreamEventDelivery>(d => d.SubscriptionId == 11).Event);

        var other = CreateTestProbe();
        stream.Tell(new PublishStream(Key, new PublisherId(2, 1), other.Ref), other.Ref);
        Assert.False(other.ExpectMsg<PublishStreamResult>().Accepted);

        var config = Frame(RtmpMessageType.Video, 0, 0x17, 0x00, 0, 0, 0, 1);
        stream.Tell(new PublishStreamFrame(Key, new PublisherId(1, 1), config));
        stream.Tell(new PublishStreamFrame(Key, new PublisherId(2, 1), Frame(RtmpMessageType.Audio, 0, 0xAF, 0x01))); // not the publisher
        Assert.Same(config, a.ExpectMsg<StreamEventDelivery>().Event);
        a.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        // A late joiner gets PublishNotify and the cached configuration first (B11).
        stream.Tell(new SubscribeStream(Key, b.Ref, 22));
        b.ExpectMsg<StreamSubscribed>();
        Assert.IsType<PublishNotify>(b.ExpectMsg<StreamEventDelivery>(d => d.SubscriptionId == 22).Event);
        Assert.Same(config, b.ExpectMsg<StreamEventDelivery>().Event);

        var key = Frame(RtmpMessageType.Video, 40, 0x17, 0x01, 0, 0, 0, 2);
        stream.Tell(new PublishStreamFrame(Key, new PublisherId(1, 1), key));
        Assert.Same(key, a.ExpectMsg<StreamEventDelivery>().Event);
        Assert.Same(key, b.ExpectMsg<StreamEventDelivery>().Event);

        stream.Tell(new UnsubscribeStream(Key, a.Ref, 11));
        stream.Tell(new QueryStreamLive(Key), publisher.Ref);
        Assert.True(publisher.ExpectMsg<StreamLiveReply>().IsLive);
        stream.Tell(new PublishStreamFrame(Key, new PublisherId(1, 1), key));
        b.ExpectMsg<StreamEventDelivery>();
        a.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void A_dead_publisher_session_unpublishes_and_dead_players_are_forgotten()
    {
        var stream = Spawn(out _);
        var publisher = CreateTestProbe();
        var player = CreateTestProbe();
        var gone = CreateTestProbe();
        stream.Tell(new SubscribeStream(Key, player.Ref, 1));
        stream.Tell(new SubscribeStream(Key, gone.Ref, 2));
        player.ExpectMsg<StreamSubscribed>();
        gone.ExpectMsg<StreamSubscribed>();
        stream.Tell(new PublishStream(Key, new PublisherId(5, 1), publisher.Ref), publisher.Ref);
        publisher.ExpectMsg<PublishStreamResult>();
        player.ExpectMsg<StreamEventDelivery>();
        gone.ExpectMsg<StreamEventDelivery>();

        Sys.Stop(gone.Ref);
        Sys.Stop(publisher.Ref);
        Assert.IsType<UnpublishNotify>(player.ExpectMsg<StreamEventDelivery>().Event);
        var probe = CreateTestProbe();
        stream.Tell(new QueryStreamLive(Key), probe.Ref);
        Assert.False(probe.ExpectMsg<StreamLiveReply>().IsLive);

        // The name is free again.
        stream.Tell(new PublishStream(Key, new PublisherId(6, 1), probe.Ref), probe.Ref);
        Assert.True(probe.ExpectMsg<PublishStreamResult>().Accepted);
        Assert.IsType<PublishNotify>(player.ExpectMsg<StreamEventDelivery>().Event);
    }

    [Fact]
    public void An_idle_stream_passivates_and_a_stopping_stream_tells_its_sessions()
    {
        var stream = Spawn(out var parent, idleMs: 300);
        var player = CreateTestProbe();
        stream.Tell(new SubscribeStream(Key, player.Ref, 1));
        player.ExpectMsg<StreamSubscribed>();
        parent.ExpectNoMsg(TimeSpan.FromMilliseconds(600)); // a subscriber keeps it
        stream.Tell(new UnsubscribeStream(Key, player.Ref, 1));
        parent.ExpectNoMsg(TimeSpan.FromMilliseconds(150)); // idle, but not for long enough yet
        parent.ExpectMsg<Passivate>(TimeSpan.FromSeconds(2));

        stream.Tell(new SubscribeStream(Key, player.Ref, 3));
        player.ExpectMsg<StreamSubscribed>();
        stream.Tell(new QueryStreamLive(Key));
        ExpectMsg<StreamLiveReply>(); // subscribed before the stop
        stream.Tell(PoisonPill.Instance); // stops the stand-in shard, and with it the entity
        Assert.Equal(new StreamEntityStopped(StreamMessageExtractor.KeyOf(StreamMessageExtractor.EntityIdOf(Key))), player.ExpectMsg<StreamEntityStopped>());
    }

    [Fact]
    public void Stream_entity_ids_keep_names_with_slashes_and_fold_the_application_case()
    {
        var key = new StreamKey("Live", "a/b?c");
        string id = StreamMessageExtractor.EntityIdOf(key);
        Assert.Equal("live/a/b?c", id);
        Assert.Equal(new StreamKey("live", "a/b?c"), StreamMessageExtractor.KeyOf(id));
        var extractor = new StreamMessageExtractor(10);
        Assert.Equal(extractor.ShardId(id), extractor.ShardId(new QueryStreamLive(new StreamKey("LIVE", "a/b?c"))));
        Assert.Null(extractor.EntityId("not a stream message"));
        _ = typeof(Passivate);
    }
}
