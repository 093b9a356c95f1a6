using System.Net;
using Akka.Actor;
using Akka.Persistence;
using Akka.TestKit.Xunit;
using Rtmfp.Cluster;
using Rtmfp.Engine;
using Rtmfp.Flash;
using Rtmfp.Sessions.Tests.Flash;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Groups;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Sessions.Tests.Rtmfp;

/// <summary>
/// Exactly-once calls on the NetConnection control flow and NetGroup memberships across the loss of a session's
/// incarnation (issue 9), on the default in-memory journal: the first incarnation stops without a word (as with its
/// node) after what the test lets through, and the next one resumes from the record.
/// </summary>
public class ExactlyOnceCallTests : TestKit
{
    private static readonly SocketAddress Client = IPEndPoint.Parse("127.0.0.1:40100").Serialize();
    private static readonly SocketAddress Server = IPEndPoint.Parse("127.0.0.1:1935").Serialize();

    private sealed class ClientHandler : ISessionHandler
    {
        public List<byte[]> Received { get; } = [];

        public void OnFlowOpened(Session session, RecvFlow flow)
        {
        }

        public void OnMessage(Session session, RecvFlow flow, ReadOnlySpan<byte> message) => Received.Add(message.ToArray());

        /// <summary>Answers (<c>_result</c>/<c>_error</c>) the client received, by transaction ID.</summary>
        public int Answers(double tid) => Commands().Count(c => c.Name is CommandName.Result or CommandName.Error && c.TransactionId == tid);

        public List<Command> Commands()
        {
            var commands = new List<Command>();
            foreach (var m in Received)
            {
                if (RtmpMessage.TryRead(m, out var msg) && Command.TryRead(msg, new AmfReader(), out var c))
                {
                    commands.Add(c);
                }
            }
            return commands;
        }
    }

    /// <summary>Counts runs of each call; "slow" answers only when the test completes its task.</summary>
    private sealed class CountingApplication : IFlashApplication
    {
        public int Runs;
        public TaskCompletionSource<CallResult> Slow { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask<ConnectDecision> OnConnectAsync(IFlashClient client, ConnectRequest request) => new(ConnectDecision.Accept);

        public void OnDisconnected(IFlashClient client)
        {
        }

        public ValueTask<StreamDecision> OnPublishAsync(IFlashClient client, PublishRequest request) => new(StreamDecision.Allow);

        public ValueTask<StreamDecision> OnPlayAsync(IFlashClient client, PlayRequest request) => new(StreamDecision.Allow);

        public ValueTask<CallResult> OnCallAsync(IFlashClient client, ClientCall call)
        {
            Interlocked.Increment(ref Runs);
            return call.Method == "slow" ? new(Slow.Task) : new(CallResult.Success(new AmfNumber(call.TransactionId * 10)));
        }

        public bool AuthorizePeerLookup(PeerLookup lookup) => true;
    }

    private readonly CountingApplication _app = new();
    private readonly ActorExchange _exchange;
    private IActorRef? _groups;

    public ExactlyOnceCallTests() => _exchange = new ActorExchange(this, Client, Server);

    private static OpenSession Open(uint sid) =>
        new(sid, 0x0A0B0C0D, Enumerable.Repeat((byte)9, 64).ToArray(),
            new SessionCryptoMaterial(new byte[32], new byte[32], new byte[32], new byte[32], new byte[32], new byte[32], new PacketVerificationSettings(0, 0, false, false)),
            Enumerable.Range(1, 32).Select(i => (byte)i).ToArray(), EndpointDiscriminator.CreateForUri("rtmfp://127.0.0.1/live"), Client, [0x0b, 0x01, 0x02]);

    private IActorRef Spawn(uint sid)
    {
        var flash = new FlashServices(new ApplicationRegistry().Map(ApplicationRegistry.Wildcard, _app))
        {
            GroupRegion = _groups is { } g ? () => g : null,
        };
        return Sys.ActorOf(Props.Create(() => new SessionActor(SessionMessageExtractor.EntityIdOf(sid), SessionActorSettings.Default, null, flash)));
    }

    private void Exchange(uint sid, IActorRef actor, Session engine, Func<bool> until) => _exchange.Run(sid, actor, engine, until);

    private (IActorRef Actor, Session Engine, ClientHandler Handler, SendFlow Control) Connect(uint sid)
    {
        var actor = Spawn(sid);
        actor.Tell(Open(sid));
        ExpectMsg<SessionOpened>();
        var handler = new ClientHandler();
        var engine = new Session(SessionRole.Initiator, Server, handler, Environment.TickCount64);
        var control = engine.OpenFlow(new RtmpMetadata(0).ToArray());
        control.Write(new Command("connect", 1, new AmfObject { ["app"] = "live", ["tcUrl"] = "rtmfp://127.0.0.1/live", ["objectEncoding"] = 3.0 }, []).ToMessage());
        Exchange(sid, actor, engine, () => handler.Answers(1) == 1 && control.QueuedFragmentCount == 0);
        return (actor, engine, handler, control);
    }

    /// <summary>A connected client whose control flow just took a call; <c>Before</c>: the session's writes before it.</summary>
    private (IActorRef Actor, Session Engine, ClientHandler Handler, SendFlow Control, long Before) ConnectAndCall(uint sid, string method, double tid)
    {
        var (actor, engine, handler, control) = Connect(sid);
        long before = Writes(sid);
        control.Write(new Command(method, tid, AmfNull.Instance, [new AmfNumber(1)]).ToMessage());
        return (actor, engine, handler, control, before);
    }

    /// <summary>The session's events so far (the journal's highest sequence number: one per write).</summary>
    private long Writes(uint sid)
    {
        var journal = Persistence.Instance.Apply(Sys).JournalFor(null);
        journal.Tell(new ReplayMessages(1, 0, 0, SessionActor.PersistenceIdPrefix + SessionMessageExtractor.EntityIdOf(sid), TestActor));
        return FishForMessage<RecoverySuccess>(_ => true).HighestSequenceNr;
    }

    /// <summary>The first incarnation ends without a word (as with its node); the next learns its gateway and resumes.</summary>
    private IActorRef Crash(uint sid, IActorRef actor)
    {
        Watch(actor);
        actor.Tell(PoisonPill.Instance);
        ExpectTerminated(actor);
        var next = Spawn(sid);
        next.Tell(new FetchSessionKeys(sid), TestActor);
        FishForMessage<SessionKeysReply>(_ => true);
        return next;
    }

    [Fact(Timeout = 30_000)]
    public async Task A_call_whose_answer_died_with_its_node_is_answered_once_from_the_record_and_not_run_again()
    {
        await Task.Yield();
        const uint sid = 0x6101;
        var (actor, engine, handler, control, before) = ConnectAndCall(sid, "add", 2);
        // The call reaches the server, runs and is answered; every packet of the server is lost with its node.
        // A packet of the server left: the call and its answer were on record before it did.
        _exchange.Deliver = false;
        Exchange(sid, actor, engine, () => _app.Runs == 1 && _exchange.Lost > 0);
        _exchange.Deliver = true;
        long writes = Writes(sid) - before;
        var next = Crash(sid, actor);

        // The client sends the call again (never acknowledged); the resumed session answers it from its record.
        Exchange(sid, next, engine, () => handler.Answers(2) >= 1 && control.QueuedFragmentCount == 0);
        _exchange.Settle(sid, next, engine);

        Assert.Equal(1, handler.Answers(2));
        Assert.Equal(20.0, handler.Commands().Single(c => c.TransactionId == 2 && c.Name == CommandName.Result).Argument(0)?.AsNumber);
        Assert.Equal(1, _app.Runs);
        Assert.Equal(1, writes); // the call and its answer: one write
        Assert.Equal(SessionState.Open, engine.State);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_call_in_flight_when_its_node_died_runs_again_on_the_next_incarnation_and_is_answered_once()
    {
        await Task.Yield();
        const uint sid = 0x6102;
        var (actor, engine, handler, control, before) = ConnectAndCall(sid, "slow", 3);
        // Delivered and acknowledged (so the client will not send it again), not answered yet.
        Exchange(sid, actor, engine, () => _app.Runs == 1 && control.QueuedFragmentCount == 0);
        long callWrites = Writes(sid) - before;
        var firstRun = _app.Slow;
        _app.Slow = new TaskCompletionSource<CallResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var next = Crash(sid, actor);
        firstRun.SetResult(CallResult.Success(new AmfString("lost"))); // the dead incarnation's answer goes nowhere

        Exchange(sid, next, engine, () => _app.Runs == 2);
        long beforeAnswer = Writes(sid);
        _app.Slow.SetResult(CallResult.Success(new AmfString("again")));
        Exchange(sid, next, engine, () => handler.Answers(3) >= 1);
        _exchange.Settle(sid, next, engine);

        Assert.Equal(1, handler.Answers(3));
        Assert.Equal("again", handler.Commands().Single(c => c.TransactionId == 3 && c.Name == CommandName.Result).Argument(0)?.AsString);
        Assert.Equal(1, callWrites); // the call on record before its acknowledgement left
        Assert.Equal(1, Writes(sid) - beforeAnswer); // its answer on record before it left
    }

    [Fact(Timeout = 30_000)]
    public async Task A_resumed_member_joins_its_groups_again_where_it_lives_now()
    {
        await Task.Yield();
        var groups = CreateTestProbe();
        _groups = groups.Ref;
        const uint sid = 0x6103;
        var (actor, engine, handler, _) = Connect(sid);
        byte[] groupId = Enumerable.Range(50, 32).Select(i => (byte)i).ToArray();
        var gc = engine.OpenFlow(GroupControl.FlowMetadata.ToArray());
        var join = new byte[3 + GroupControl.GroupIdLength];
        GroupControl.WriteJoin(join, groupId);
        gc.Write(join);
        Exchange(sid, actor, engine, () => groups.HasMessages && gc.QueuedFragmentCount == 0);
        Assert.Equal(groupId, groups.ExpectMsg<JoinGroup>().GroupId);
        Assert.Equal(actor, groups.LastSender);

        var next = Crash(sid, actor);
        var again = groups.FishForMessage<JoinGroup>(_ => true, TimeSpan.FromSeconds(5));
        Assert.Equal(groupId, again.GroupId);
        Assert.Equal(next, groups.LastSender);
        // Introductions reach the client on its GC flow through the new incarnation.
        var peer = Enumerable.Range(90, 32).Select(i => (byte)i).ToArray();
        next.Tell(new IntroduceGroupMembers(groupId, peer));
        Exchange(sid, next, engine, () => handler.Received.Any(m => m.AsSpan().IndexOf(peer) >= 0));
    }
}
