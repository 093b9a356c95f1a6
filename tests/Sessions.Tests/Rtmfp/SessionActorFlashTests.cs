using System.Buffers;
using System.Net;
using Akka.Actor;
using Akka.TestKit.Xunit;
using Rtmfp.Engine;
using Rtmfp.Flash;
using Rtmfp.Sessions.Streams;
using Rtmfp.Sessions.Tests.Flash;
using Rtmfp.Shared.Amf;
using Rtmfp.Cluster;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Wire;
using Address = Rtmfp.Shared.Wire.Address;

namespace Rtmfp.Sessions.Tests.Rtmfp;

/// <summary>A session actor with Flash services, driven by a client engine through the actor's messages (the test actor is the gateway).</summary>
public class SessionActorFlashTests : TestKit
{
    private static readonly SocketAddress Client = IPEndPoint.Parse("127.0.0.1:40000").Serialize();
    private static readonly SocketAddress Server = IPEndPoint.Parse("127.0.0.1:1935").Serialize();
    private static readonly byte[] PeerIdBytes = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();
    private static readonly SocketAddress Initiator = IPEndPoint.Parse("198.51.100.9:61000").Serialize();

    private sealed class ClientHandler : ISessionHandler
    {
        public List<RecvFlow> Flows { get; } = [];
        public List<(RecvFlow Flow, byte[] Message)> Received { get; } = [];
        public List<(byte Type, byte[] Payload)> OtherChunks { get; } = [];

        public void OnFlowOpened(Session session, RecvFlow flow) => Flows.Add(flow);

        public void OnMessage(Session session, RecvFlow flow, ReadOnlySpan<byte> message) => Received.Add((flow, message.ToArray()));

        public void OnOtherChunk(Session session, byte chunkType, ReadOnlySpan<byte> payload) => OtherChunks.Add((chunkType, payload.ToArray()));

        public List<string> StatusCodes()
        {
            var codes = new List<string>();
            foreach (var (_, m) in Received)
            {
                if (RtmpMessage.TryRead(m, out var msg) && Command.TryRead(msg, new AmfReader(), out var c)
                    && NetStatus.TryReadInfo(c.Argument(0), out _, out var code, out _))
                {
                    codes.Add(code);
                }
            }
            return codes;
        }
    }

    private readonly List<object> _others = [];

    private static OpenSession Open(uint sid) =>
        new(sid, 0x0A0B0C0D, Enumerable.Repeat((byte)7, 64).ToArray(),
            new SessionCryptoMaterial(new byte[32], new byte[32], new byte[32], new byte[32], new byte[32], new byte[32], new PacketVerificationSettings(0, 0, false, false)),
            PeerIdBytes, EndpointDiscriminator.CreateForUri("rtmfp://127.0.0.1/live"), Client, [0x0b, 0x01, 0x02]);

    private (IActorRef Actor, Session Engine, ClientHandler Handler) Start(uint sid, IActorRef streams, IActorRef directory, ApplicationRegistry? apps = null)
    {
        var flash = new FlashServices(apps ?? ApplicationRegistry.CreateDefault()) { StreamRegion = () => streams, PeerDirectory = () => directory };
        var actor = Sys.ActorOf(Props.Create(() => new SessionActor(SessionMessageExtractor.EntityIdOf(sid), SessionActorSettings.Default, null, flash)));
        actor.Tell(Open(sid));
        ExpectMsg<SessionOpened>();
        var handler = new ClientHandler();
        var engine = new Session(SessionRole.Initiator, Server, handler, Environment.TickCount64);
        return (actor, engine, handler);
    }

    /// <summary>Carries packets both ways until <paramref name="until"/> holds; other messages to the gateway are kept in <see cref="_others"/>.</summary>
    private void Exchange(uint sid, IActorRef actor, Session engine, Func<bool> until, int seconds = 10) =>
        new ActorExchange(this, Client, Server) { Other = _others.Add }.Run(sid, actor, engine, until, seconds);

    private SendFlow Connect(uint sid, IActorRef actor, Session engine, ClientHandler handler)
    {
        var control = engine.OpenFlow(new RtmpMetadata(0).ToArray());
        control.Write(new Command("connect", 1, new AmfObject { ["app"] = "live", ["tcUrl"] = "rtmfp://127.0.0.1/live", ["objectEncoding"] = 3.0 }, []).ToMessage());
        Exchange(sid, actor, engine, () => handler.StatusCodes().Contains("NetConnection.Connect.Success"));
        return control;
    }

    [Fact]
    public void A_flash_client_connects_registers_its_peer_id_and_unregisters_when_the_session_closes()
    {
        const uint sid = 0x5001;
        var streams = CreateTestProbe();
        var directory = CreateTestProbe();
        var (actor, engine, handler) = Start(sid, streams.Ref, directory.Ref);
        Connect(sid, actor, engine, handler);
        Assert.Equal(PeerIdBytes, directory.ExpectMsg<RegisterPeer>().PeerId);
        Assert.Equal(actor, directory.LastSender);

        // Echo flows still work beside Flash.
        var echo = engine.OpenFlow("echo"u8.ToArray());
        echo.Write(new byte[] { 42 });
        Exchange(sid, actor, engine, () => handler.Received.Any(r => r.Message.Length == 1 && r.Message[0] == 42));

        actor.Tell(new CloseSession(sid));
        Assert.Equal(PeerIdBytes, directory.ExpectMsg<UnregisterPeer>(TimeSpan.FromSeconds(5)).PeerId);
    }

    [Fact]
    public void A_lookup_answers_the_gateway_with_a_redirect_and_sends_an_fihello_in_the_session()
    {
        const uint sid = 0x5002;
        var directory = CreateTestProbe();
        var (actor, engine, handler) = Start(sid, CreateTestProbe().Ref, directory.Ref);
        var control = Connect(sid, actor, engine, handler);
        control.Write(new Command("setPeerInfo", 0, AmfNull.Instance, ["10.0.0.5:40000"]).ToMessage());
        var settle = DateTime.UtcNow.AddMilliseconds(300);
        Exchange(sid, actor, engine, () => DateTime.UtcNow > settle);

        byte[] tag = Enumerable.Range(0, 16).Select(i => (byte)(0xA0 + i)).ToArray();
        actor.Tell(new LookupPeer(PeerIdBytes, tag, Initiator), TestActor);
        Exchange(sid, actor, engine, () => _others.OfType<PeerRedirect>().Any() && handler.OtherChunks.Count > 0);

        var redirect = _others.OfType<PeerRedirect>().Single();
        Assert.Equal(Initiator, redirect.To);
        Assert.True(StartupPacket.TryRead(redirect.StartupPacket, out var chunks));
        var addresses = new List<Address>();
        foreach (var chunk in chunks)
        {
            Assert.Equal(ChunkType.ResponderRedirect, chunk.Type);
            Assert.True(ResponderRedirectChunk.TryRead(chunk.Payload, out var r));
            Assert.Equal(tag, r.TagEcho.ToArray());
            foreach (var a in r.GetDestinations())
            {
                addresses.Add(a);
            }
        }
        Assert.Equal(["127.0.0.1:40000", "10.0.0.5:40000"], addresses.Select(a => PeerInfoAddress.Format(a)));
        Assert.Equal(AddressOrigin.Observed, addresses[0].Origin);

        var (type, payload) = handler.OtherChunks.Single();
        Assert.Equal((byte)ChunkType.FIHello, type);
        Assert.True(FIHelloChunk.TryRead(payload, out var fihello));
        Assert.Equal(EndpointDiscriminator.CreateCanonical(PeerIdBytes), fihello.EndpointDiscriminator.ToArray());
        Assert.Equal("198.51.100.9:61000", PeerInfoAddress.Format(fihello.ReplyAddress));
        Assert.Equal(tag, fihello.Tag.ToArray());
    }

    [Fact]
    public void An_application_that_refuses_lookups_gets_no_introduction()
    {
        const uint sid = 0x5003;
        var app = new ScriptedApplication { Lookup = _ => false };
        var (actor, engine, handler) = Start(sid, CreateTestProbe().Ref, CreateTestProbe().Ref, new ApplicationRegistry().Map("*", app));
        Connect(sid, actor, engine, handler);
        actor.Tell(new LookupPeer(PeerIdBytes, [1, 2], Initiator), TestActor);
        var deadline = DateTime.UtcNow.AddMilliseconds(500);
        Exchange(sid, actor, engine, () => DateTime.UtcNow > deadline);
        Assert.Single(app.Lookups);
        Assert.Empty(_others.OfType<PeerRedirect>());
        Assert.Empty(handler.OtherChunks);
    }

    [Fact]
    public void Publish_and_play_go_through_the_stream_region_and_frames_come_back_as_deliveries()
    {
        const uint sid = 0x5004;
        var streams = CreateTestProbe();
        var (actor, engine, handler) = Start(sid, streams.Ref, CreateTestProbe().Ref);
        var control = Connect(sid, actor, engine, handler);
        control.Write(new Command("createStream", 2, AmfNull.Instance, []).ToMessage());
        control.Write(new Command("createStream", 3, AmfNull.Instance, []).ToMessage());
        var serverControl = handler.Flows[0];
        var pub = engine.OpenFlow(new RtmpMetadata(1).ToArray(), serverControl);
        pub.Write(new Command("publish", 0, AmfNull.Instance, ["cam", "live"]).ToMessage());

        Exchange(sid, actor, engine, () => streams.HasMessages);
        var publish = streams.ExpectMsg<PublishStream>();
        Assert.Equal(new StreamKey("live", "cam"), publish.Stream);
        Assert.Equal(actor, publish.Session);
        streams.Reply(new PublishStreamResult(publish.Stream, publish.Publisher, true, streams.Ref));
        Exchange(sid, actor, engine, () => handler.StatusCodes().Contains("NetStream.Publish.Start"));

        pub.Write(FlashTestClient.Media(RtmpMessageType.Audio, 20, 0xAF, 0x01, 0x33));
        Exchange(sid, actor, engine, () => streams.HasMessages);
        var frame = streams.ExpectMsg<PublishStreamFrame>();
        Assert.Equal(publish.Publisher, frame.Publisher);
        Assert.Equal(MediaFrameKind.Audio, frame.Frame.Kind);

        var play = engine.OpenFlow(new RtmpMetadata(2).ToArray(), serverControl);
        play.Write(new Command("play", 0, AmfNull.Instance, ["other"]).ToMessage());
        Exchange(sid, actor, engine, () => streams.HasMessages);
        var subscribe = streams.ExpectMsg<SubscribeStream>();
        Assert.Equal(new StreamKey("live", "other"), subscribe.Stream);
        Assert.True(MediaFrame.TryCreate(FlashTestClient.Media(RtmpMessageType.Video, 80, 0x17, 0x01, 0, 0, 0, 0x44), new AmfReader(), out var key));
        actor.Tell(new StreamEventDelivery(subscribe.SubscriptionId, new PublishNotify(subscribe.Stream)));
        actor.Tell(new StreamEventDelivery(subscribe.SubscriptionId, key));
        actor.Tell(new StreamEventDelivery(subscribe.SubscriptionId + 100, key)); // unknown subscription: ignored
        Exchange(sid, actor, engine, () => handler.Received.Any(r => r.Message[0] == (byte)RtmpMessageType.Video));
        var videoFlow = handler.Received.Single(r => r.Message[0] == (byte)RtmpMessageType.Video).Flow;
        Assert.True(RtmpMetadata.TryRead(videoFlow.Metadata.Span, out var md));
        Assert.Equal(2u, md.StreamId);
        Assert.Contains("NetStream.Play.PublishNotify", handler.StatusCodes());

        // The entity restarted: the session publishes and subscribes again.
        actor.Tell(new StreamEntityStopped(new StreamKey("live", "other")));
        Assert.Equal(subscribe.SubscriptionId, streams.ExpectMsg<SubscribeStream>().SubscriptionId);
        actor.Tell(new StreamEntityStopped(new StreamKey("live", "cam")));
        Assert.Equal(publish.Publisher, streams.ExpectMsg<PublishStream>().Publisher);
    }

    [Fact]
    public void A_publisher_sends_frames_to_the_entity_that_accepted_it_and_back_through_the_region_after_it_stopped()
    {
        const uint sid = 0x5014;
        var streams = CreateTestProbe();
        var entity = CreateTestProbe();
        var (actor, engine, handler) = Start(sid, streams.Ref, CreateTestProbe().Ref);
        var control = Connect(sid, actor, engine, handler);
        control.Write(new Command("createStream", 2, AmfNull.Instance, []).ToMessage());
        var pub = engine.OpenFlow(new RtmpMetadata(1).ToArray(), handler.Flows[0]);
        pub.Write(new Command("publish", 0, AmfNull.Instance, ["cam", "live"]).ToMessage());
        Exchange(sid, actor, engine, () => streams.HasMessages);
        var publish = streams.ExpectMsg<PublishStream>();
        streams.Reply(new PublishStreamResult(publish.Stream, publish.Publisher, true, entity.Ref));
        Exchange(sid, actor, engine, () => handler.StatusCodes().Contains("NetStream.Publish.Start"));

        // Accepted: frames skip the region.
        pub.Write(FlashTestClient.Media(RtmpMessageType.Audio, 20, 0xAF, 0x01, 0x33));
        pub.Write(FlashTestClient.Media(RtmpMessageType.Audio, 40, 0xAF, 0x01, 0x34));
        Exchange(sid, actor, engine, () => entity.HasMessages);
        Assert.Equal(20u, entity.ExpectMsg<PublishStreamFrame>().Frame.Timestamp);
        Assert.Equal(40u, entity.ExpectMsg<PublishStreamFrame>().Frame.Timestamp);
        streams.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        // The entity stopped: publish again through the region; frames go there until the next incarnation answers.
        actor.Tell(new StreamEntityStopped(publish.Stream));
        var again = streams.ExpectMsg<PublishStream>();
        Assert.Equal(publish.Publisher, again.Publisher);
        pub.Write(FlashTestClient.Media(RtmpMessageType.Audio, 60, 0xAF, 0x01, 0x35));
        Exchange(sid, actor, engine, () => streams.HasMessages);
        Assert.Equal(60u, streams.ExpectMsg<PublishStreamFrame>().Frame.Timestamp);
        var next = CreateTestProbe();
        actor.Tell(new PublishStreamResult(publish.Stream, publish.Publisher, true, next.Ref), streams.Ref);
        pub.Write(FlashTestClient.Media(RtmpMessageType.Audio, 80, 0xAF, 0x01, 0x36));
        Exchange(sid, actor, engine, () => next.HasMessages);
        Assert.Equal(80u, next.ExpectMsg<PublishStreamFrame>().Frame.Timestamp);
        entity.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void Flows_that_are_neither_echo_nor_tc_are_rejected()
    {
        const uint sid = 0x5005;
        var (actor, engine, handler) = Start(sid, CreateTestProbe().Ref, CreateTestProbe().Ref);
        var flow = engine.OpenFlow("GC"u8.ToArray());
        flow.Write(new byte[] { 1 });
        Exchange(sid, actor, engine, () => flow.ExceptionReceived);
        Assert.Empty(handler.Flows);
    }
}
