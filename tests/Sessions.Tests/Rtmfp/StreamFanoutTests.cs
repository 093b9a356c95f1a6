using Akka.Actor;
using Akka.TestKit.Xunit;
using Rtmfp.Cluster;
using Rtmfp.Flash;
using Rtmfp.Sessions.Streams;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Sessions.Tests.Rtmfp;

/// <summary>The stream entity's one message per node and event, and a node's fan-out loop over its players' ports.</summary>
public class StreamFanoutTests : TestKit
{
    private static readonly StreamKey Key = new("live", "fan");
    private static readonly PublisherId Publisher = new(1, 1);

    private static MediaFrame Frame(RtmpMessageType type, uint ts, params byte[] payload) => StreamActorTests.Frame(type, ts, payload);

    private IActorRef SpawnEntity() =>
        Sys.ActorOf(Props.Create(() => new ParentProbe(Props.Create(() => new StreamActor(StreamMessageExtractor.EntityIdOf(Key), TimeSpan.FromSeconds(30))), CreateTestProbe().Ref)));

    [Fact]
    public void Each_event_reaches_each_node_once_and_a_late_joiner_gets_its_own_first()
    {
        var stream = SpawnEntity();
        var nodeX = CreateTestProbe();
        var nodeY = CreateTestProbe();
        var direct = CreateTestProbe(); // a subscriber without a fan-out (RTMP, group seeding): told one by one
        var probes = Enumerable.Range(0, 4).Select(_ => CreateTestProbe()).ToArray();
        var sessions = probes.Select(p => p.Ref).ToArray();
        stream.Tell(new SubscribeStream(Key, sessions[0], 1, nodeX.Ref));
        stream.Tell(new SubscribeStream(Key, sessions[1], 2, nodeX.Ref));
        stream.Tell(new SubscribeStream(Key, sessions[2], 3, nodeY.Ref));
        stream.Tell(new SubscribeStream(Key, direct.Ref, 9));
        Assert.Equal(new StreamNodeJoin(Key, sessions[0], 1), nodeX.ExpectMsg<StreamNodeJoin>());
        Assert.Equal(new StreamNodeJoin(Key, sessions[1], 2), nodeX.ExpectMsg<StreamNodeJoin>());
        Assert.Equal(new StreamNodeJoin(Key, sessions[2], 3), nodeY.ExpectMsg<StreamNodeJoin>());
        direct.ExpectMsg<StreamSubscribed>();

        var publisher = CreateTestProbe();
        stream.Tell(new PublishStream(Key, Publisher, publisher.Ref), publisher.Ref);
        publisher.ExpectMsg<PublishStreamResult>();
        var metadata = MediaFrame.FromParts(MediaFrameKind.DataFrame, RtmpMessageType.DataAmf0, 0, new byte[] { 18, 0, 0, 0, 0, 2, 0, 1, (byte)'x' }, 0, "onMetaData");
        var config = Frame(RtmpMessageType.Video, 0, 0x17, 0x00, 0, 0, 0, 1);
        var audioConfig = Frame(RtmpMessageType.Audio, 0, 0xAF, 0x00, 0x12);
        foreach (var f in new[] { metadata, config, audioConfig })
        {
            stream.Tell(new PublishStreamFrame(Key, Publisher, f));
        }
        foreach (var node in new[] { nodeX, nodeY })
        {
            // One message per node for all its subscriptions: the notification, then each frame.
            Assert.IsType<PublishNotify>(node.ExpectMsg<StreamNodeEvent>(e => e.Session is null).Event);
            Assert.Same(metadata, node.ExpectMsg<StreamNodeEvent>(e => e.Session is null).Event);
            Assert.Same(config, node.ExpectMsg<StreamNodeEvent>(e => e.Session is null).Event);
            Assert.Same(audioConfig, node.ExpectMsg<StreamNodeEvent>(e => e.Session is null).Event);
            node.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        }
        Assert.IsType<PublishNotify>(direct.ExpectMsg<StreamEventDelivery>().Event);

        // A late joiner on Y: its join, then what it needs first, addressed to it alone, then the live frames.
        stream.Tell(new SubscribeStream(Key, sessions[3], 4, nodeY.Ref));
        Assert.Equal(new StreamNodeJoin(Key, sessions[3], 4), nodeY.ExpectMsg<StreamNodeJoin>());
        Assert.IsType<PublishNotify>(nodeY.ExpectMsg<StreamNodeEvent>(e => sessions[3].Equals(e.Session) && e.SubscriptionId == 4).Event);
        Assert.Same(metadata, nodeY.ExpectMsg<StreamNodeEvent>(e => sessions[3].Equals(e.Session)).Event);
        Assert.Same(audioConfig, nodeY.ExpectMsg<StreamNodeEvent>(e => sessions[3].Equals(e.Session)).Event);
        Assert.Same(config, nodeY.ExpectMsg<StreamNodeEvent>(e => sessions[3].Equals(e.Session)).Event);
        var key = Frame(RtmpMessageType.Video, 40, 0x17, 0x01, 0, 0, 0, 2);
        stream.Tell(new PublishStreamFrame(Key, Publisher, key));
        Assert.Same(key, nodeY.ExpectMsg<StreamNodeEvent>(e => e.Session is null).Event);
        Assert.Same(key, nodeX.ExpectMsg<StreamNodeEvent>(e => e.Session is null).Event);
        nodeX.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        nodeY.ExpectNoMsg(TimeSpan.FromMilliseconds(50));

        // Y's players leave: Y hears each leave and no more frames; X still gets one message per frame.
        stream.Tell(new UnsubscribeStream(Key, sessions[2], 3));
        stream.Tell(new UnsubscribeStream(Key, sessions[3], 4));
        Assert.Equal(new StreamNodeLeave(Key, sessions[2], 3), nodeY.ExpectMsg<StreamNodeLeave>());
        Assert.Equal(new StreamNodeLeave(Key, sessions[3], 4), nodeY.ExpectMsg<StreamNodeLeave>());
        stream.Tell(new PublishStreamFrame(Key, Publisher, key));
        Assert.Same(key, nodeX.ExpectMsg<StreamNodeEvent>(e => e.Session is null).Event);
        nodeY.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        foreach (var s in probes)
        {
            s.ExpectMsg<StreamSubscribed>(); // sessions still hear of the entity themselves (they watch it)
            s.ExpectNoMsg(TimeSpan.FromMilliseconds(10));
        }
    }

    /// <summary>A session stand-in: records what the port delivers, or refuses (its actor must take over).</summary>
    private sealed class RecordingOwner(bool accept) : IStreamPortOwner
    {
        public List<(long Id, StreamEvent Event)> Delivered { get; } = [];
        public bool Accept { get; set; } = accept;

        public bool TryDrainDirect(StreamPort port)
        {
            if (!Accept)
            {
                return false;
            }
            while (port.TryTake(out long id, out var e))
            {
                Delivered.Add((id, e));
            }
            return true;
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task The_node_fan_out_delivers_in_one_loop_and_leaves_a_busy_session_to_its_actor()
    {
        var fanout = new StreamFanout();
        fanout.Hub = Sys.ActorOf(Props.Create(() => new StreamFanoutActor(fanout)));
        var idle = new RecordingOwner(accept: true);
        var busy = new RecordingOwner(accept: true);
        var idleSession = CreateTestProbe();
        var busySession = CreateTestProbe();
        var idlePort = new StreamPort(idleSession.Ref, idle);
        var busyPort = new StreamPort(busySession.Ref, busy);
        fanout.Register(idlePort);
        fanout.Register(busyPort);
        fanout.Hub.Tell(new StreamNodeJoin(Key, idleSession.Ref, 1));
        fanout.Hub.Tell(new StreamNodeJoin(Key, busySession.Ref, 2));
        fanout.Hub.Tell(new StreamNodeJoin(Key, CreateTestProbe().Ref, 3)); // no port on this node: ignored

        var frames = Enumerable.Range(0, 5).Select(i => Frame(RtmpMessageType.Audio, (uint)(i * 20), 0xAF, 0x01, (byte)i)).ToArray();
        lock (busyPort.Gate) // the busy session's actor is handling a message meanwhile
        {
            foreach (var f in frames)
            {
                fanout.Hub.Tell(new StreamNodeEvent(Key, f));
            }
            AwaitCondition(() => fanout.NodeEvents == frames.Length, TimeSpan.FromSeconds(10)); // this thread must keep the gate
            Assert.Empty(busy.Delivered);
            Assert.True(busyPort.HasQueued);
        }
        // In order, every frame, on the fan-out's thread for the idle session; one wake-up at most for the busy one.
        Assert.Equal(frames, idle.Delivered.Select(d => (MediaFrame)d.Event));
        Assert.All(idle.Delivered, d => Assert.Equal(1, d.Id));
        idleSession.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        Assert.Equal(5, fanout.Direct);
        Assert.Equal(5, fanout.Queued);
        // The busy session's actor, once it lets go, is told once and drains everything in order.
        busyPort.Wake();
        busyPort.Wake();
        busySession.ExpectMsg<StreamPortWake>();
        busySession.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        busyPort.Woken();
        Assert.True(busy.TryDrainDirect(busyPort));
        Assert.Equal(frames, busy.Delivered.Select(d => (MediaFrame)d.Event));

        // An event for one subscription (a late joiner's catch-up) reaches that one only; a refusal wakes the actor.
        idle.Accept = false;
        fanout.Hub.Tell(new StreamNodeEvent(Key, new PublishNotify(Key), busySession.Ref, 2));
        fanout.Hub.Tell(new StreamNodeEvent(Key, frames[0], idleSession.Ref, 1));
        idleSession.ExpectMsg<StreamPortWake>();
        await AwaitConditionAsync(() => Task.FromResult(busy.Delivered.Count == 6), TimeSpan.FromSeconds(10));
        Assert.IsType<PublishNotify>(busy.Delivered[^1].Event);

        // A leave and a closed port: no more deliveries.
        fanout.Hub.Tell(new StreamNodeLeave(Key, busySession.Ref, 2));
        fanout.Unregister(idlePort);
        fanout.Hub.Tell(new StreamNodeEvent(Key, frames[1]));
        await AwaitConditionAsync(() => Task.FromResult(fanout.NodeEvents == frames.Length + 3), TimeSpan.FromSeconds(10));
        Assert.Equal(6, busy.Delivered.Count);
        Assert.Null(fanout.Find(idleSession.Ref));
    }

    [Fact(Timeout = 30_000)]
    public async Task Media_already_stale_when_the_fan_out_reaches_it_is_dropped_once_for_the_node_and_video_resumes_at_a_keyframe()
    {
        // An overloaded node's fan-out falls behind (bench/fanout.sh at N = 1,000: frames handed out seconds late): what
        // waited past its lifetime (audio 1 s, video 2 s) is dropped before the loop, not given to every player late.
        var fanout = new StreamFanout();
        fanout.Hub = Sys.ActorOf(Props.Create(() => new StreamFanoutActor(fanout)));
        var player = new RecordingOwner(accept: true);
        var session = CreateTestProbe();
        fanout.Register(new StreamPort(session.Ref, player));
        fanout.Hub.Tell(new StreamNodeJoin(Key, session.Ref, 1));
        static MediaFrame Aged(MediaFrame frame, int ms) => frame.ArrivedAt(System.Diagnostics.Stopwatch.GetTimestamp() - (ms * System.Diagnostics.Stopwatch.Frequency / 1000));
        var config = Aged(Frame(RtmpMessageType.Video, 0, 0x17, 0x00, 0, 0, 0, 1), 5_000);
        var staleAudio = Aged(Frame(RtmpMessageType.Audio, 20, 0xAF, 0x01, 1), 5_000);
        var staleInter = Aged(Frame(RtmpMessageType.Video, 40, 0x27, 0x01, 0, 0, 0, 2), 5_000);
        var lateVideo = Aged(Frame(RtmpMessageType.Video, 80, 0x27, 0x01, 0, 0, 0, 3), 1_500); // within video's 2 s, but gated
        var lateAudio = Aged(Frame(RtmpMessageType.Audio, 80, 0xAF, 0x01, 2), 1_500);          // past audio's 1 s
        var freshAudio = Frame(RtmpMessageType.Audio, 100, 0xAF, 0x01, 3);
        var freshKey = Frame(RtmpMessageType.Video, 120, 0x17, 0x01, 0, 0, 0, 4);
        var freshInter = Frame(RtmpMessageType.Video, 160, 0x27, 0x01, 0, 0, 0, 5);
        MediaFrame[] events = [config, staleAudio, staleInter, lateVideo, lateAudio, freshAudio, freshKey, freshInter];
        foreach (var frame in events)
        {
            fanout.Hub.Tell(new StreamNodeEvent(Key, frame));
        }
        // A late joiner's own catch-up events are not judged (what it needs first may be old by design).
        fanout.Hub.Tell(new StreamNodeEvent(Key, staleAudio, session.Ref, 1));
        await AwaitConditionAsync(() => Task.FromResult(fanout.NodeEvents == events.Length + 1), TimeSpan.FromSeconds(10));

        Assert.Equal(new StreamEvent[] { config, freshAudio, freshKey, freshInter, staleAudio }, player.Delivered.Select(d => d.Event));
        Assert.Equal(3, fanout.Freshness.StaleDrops); // staleAudio, staleInter, lateAudio
        Assert.Equal(1, fanout.Freshness.GatedDrops); // lateVideo, waiting for freshKey
    }

    [Fact]
    public void The_freshness_check_holds_each_lifetime_to_the_millisecond_and_gates_video_per_stream()
    {
        var filter = new StaleMediaFilter(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        var other = new StreamKey("live", "other");
        var audio = Frame(RtmpMessageType.Audio, 0, 0xAF, 0x01, 1);
        var inter = Frame(RtmpMessageType.Video, 0, 0x27, 0x01, 0, 0, 0, 1);
        var key = Frame(RtmpMessageType.Video, 0, 0x17, 0x01, 0, 0, 0, 1);
        var metadata = MediaFrame.FromParts(MediaFrameKind.DataFrame, RtmpMessageType.DataAmf0, 0, new byte[] { 18, 0, 0, 0, 0, 2, 0, 1, (byte)'x' }, 0, "onMetaData");
        Assert.True(filter.Admits(Key, audio, 1_000, out _));
        Assert.False(filter.Admits(Key, audio, 1_001, out _));
        Assert.True(filter.Admits(Key, inter, 2_000, out _));
        Assert.True(filter.Admits(Key, new PublishNotify(Key), 60_000, out _)); // notifications and metadata are never stale
        Assert.True(filter.Admits(Key, metadata, 60_000, out _));
        Assert.False(filter.Admits(Key, inter, 2_001, out _));
        Assert.False(filter.Admits(Key, inter, 0, out _));       // Key's video waits for a keyframe now...
        Assert.True(filter.Admits(other, inter, 0, out _));      // ...another stream's does not
        Assert.True(filter.Admits(Key, audio, 0, out _));        // nor Key's audio
        Assert.True(filter.Admits(Key, key, 0, out _));
        Assert.True(filter.Admits(Key, inter, 0, out _));
        Assert.False(filter.Admits(Key, inter, 2_001, out _));
        filter.Forget(Key);                               // the node's last player of Key left
        Assert.True(filter.Admits(Key, inter, 0, out _));
        Assert.Equal(3, filter.StaleDrops);
        Assert.Equal(1, filter.GatedDrops);
    }

    [Fact]
    public void Offering_to_a_port_allocates_nothing_per_player_once_warm()
    {
        var port = new StreamPort(CreateTestProbe().Ref, new DrainingOwner());
        var frame = Frame(RtmpMessageType.Audio, 0, 0xAF, 0x01, 1);
        for (int i = 0; i < 1000; i++)
        {
            port.Offer(1, frame);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            port.Offer(1, frame);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>Takes everything without keeping it: the port's own cost alone.</summary>
    private sealed class DrainingOwner : IStreamPortOwner
    {
        public bool TryDrainDirect(StreamPort port)
        {
            while (port.TryTake(out _, out _))
            {
            }
            return true;
        }
    }
}
