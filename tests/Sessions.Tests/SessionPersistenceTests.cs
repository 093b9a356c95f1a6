using System.Buffers;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.TestKit.Xunit;
using Rtmfp.Cluster;
using Rtmfp.Cluster.Persistence;
using Rtmfp.Engine;
using static Rtmfp.Sessions.Tests.SessionActorTests;

namespace Rtmfp.Sessions.Tests;

/// <summary>
/// A session entity's record (SessionActor.Persistence.cs) on the node's in-memory journal and snapshot store, as a
/// node without Redis runs it: a later incarnation of the entity, after a hand-off or after the first one died, resumes
/// the session without a handshake; a closed session leaves nothing to resume, and nothing in the journal.
/// </summary>
public class SessionPersistenceTests : TestKit
{
    private static readonly SessionActorSettings Settings = SessionActorSettings.Default with
    {
        PurgeRecord = static (id, to) => new ForgetPersistenceId(id, to),
    };

    private readonly LocalTestGateway _gateway;

    public SessionPersistenceTests() : base(InMemoryPersistenceHosting.Hocon)
    {
        _gateway = new LocalTestGateway(CreateTestProbe());
        LocalGateways.Get(Sys).Register(_gateway.Probe.Ref, _gateway.Sink);
    }

    private IActorRef Spawn(uint sid) =>
        ChildActorOf(Props.Create(() => new SessionActor(SessionMessageExtractor.EntityIdOf(sid), Settings, null)));

    [Theory(Timeout = 30_000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_next_incarnation_resumes_the_session_on_the_same_flows_above_every_number_used(bool handOff)
    {
        await Task.Yield();
        uint sid = handOff ? 0x7171u : 0x7272u;
        var first = Spawn(sid);
        first.Tell(Open(sid, 7, sseq: true), _gateway.Probe.Ref);
        _gateway.Probe.ExpectMsg<SessionOpened>();
        var handler = new Collector();
        var initiator = new Session(SessionRole.Initiator, Client, handler, Environment.TickCount64);
        var flow = initiator.OpenFlow("echo"u8.ToArray());
        for (int i = 0; i < 10; i++)
        {
            flow.Write(BitConverter.GetBytes(i));
        }
        Assert.True(_gateway.Exchange(first, sid, initiator, () => handler.Messages.Count == 10 && flow.QueuedFragmentCount == 0));
        ulong lastBefore = _gateway.Sequences[^1];

        Watch(first);
        if (handOff)
        {
            first.Tell(SessionHandOff.Instance, _gateway.Probe.Ref);
        }
        else
        {
            first.Tell(PoisonPill.Instance); // dies without a word, as with its node: the record is what the flow opened
        }
        ExpectTerminated(first);
        // It moved, it did not end: no Close Request reached the client and the gateway keeps its keys.
        _gateway.DeliverTo(initiator);
        Assert.Equal(SessionState.Open, initiator.State);
        _gateway.Probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        var next = Spawn(sid);
        next.Tell(new FetchSessionKeys(sid), _gateway.Probe.Ref);
        Assert.Equal(0x11223344u, _gateway.Probe.ExpectMsg<SessionKeysReply>().FarSessionId);
        for (int i = 10; i < 20; i++)
        {
            flow.Write(BitConverter.GetBytes(i));
        }
        int before = _gateway.Sequences.Count;
        Assert.True(_gateway.Exchange(next, sid, initiator, () => handler.Messages.Count == 20), $"{handler.Messages.Count} echoes");
        Assert.Equal(Enumerable.Range(0, 20), handler.Messages.Select(m => BitConverter.ToInt32(m)));
        Assert.Equal(1, handler.FlowsOpened); // the same return flow
        Assert.Equal(SessionState.Open, initiator.State);
        // RFC 7425 §4.6.6: the resumed session numbers its packets above anything the first could have used.
        var after = _gateway.Sequences.Skip(before).ToList();
        Assert.All(after, s => Assert.True(s >= SessionActor.SendSequenceMargin && s > lastBefore));
        Assert.Equal(after.Order(), after);
    }

    /// <summary>A session entity opened by a client that had one message echoed on it.</summary>
    private (IActorRef Entity, Session Initiator) OpenWithOneEcho(uint sid, bool sseq = false)
    {
        var entity = Spawn(sid);
        entity.Tell(Open(sid, 8, sseq), _gateway.Probe.Ref);
        _gateway.Probe.ExpectMsg<SessionOpened>();
        var handler = new Collector();
        var initiator = new Session(SessionRole.Initiator, Client, handler, Environment.TickCount64);
        initiator.OpenFlow("echo"u8.ToArray()).Write(new byte[] { 1 });
        Assert.True(_gateway.Exchange(entity, sid, initiator, () => handler.Messages.Count == 1));
        return (entity, initiator);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_closed_session_leaves_no_record()
    {
        await Task.Yield();
        const uint sid = 0x7373;
        var (first, initiator) = OpenWithOneEcho(sid);

        first.Tell(new CloseSession(sid), _gateway.Probe.Ref);
        SessionClosed? closed = null;
        Assert.True(_gateway.Exchange(first, sid, initiator, () =>
            (closed ??= _gateway.Probe.ReceiveOne(TimeSpan.FromMilliseconds(10)) as SessionClosed) is not null));
        var passivate = ExpectMsg<Passivate>();
        Watch(first);
        first.Tell(passivate.StopMessage);
        ExpectTerminated(first);

        // Nothing of it stays in the journal either: not its events, not its highest sequence number.
        var journal = Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null);
        AwaitAssert(() =>
        {
            journal.Tell(CountRecords.Instance, TestActor);
            Assert.Equal(new RecordCount(0, 0), ExpectMsg<RecordCount>());
        }, TimeSpan.FromSeconds(3));

        var next = Spawn(sid);
        next.Tell(new FetchSessionKeys(sid), _gateway.Probe.Ref);
        _gateway.Probe.ExpectMsg<UnknownSession>(u => u.SessionId == sid);
    }

    [Fact(Timeout = 30_000)]
    public async Task The_clients_close_stops_the_entity_at_once_and_leaves_the_linger_to_the_gateway()
    {
        await Task.Yield();
        const uint sid = 0x7374;
        var (first, initiator) = OpenWithOneEcho(sid, sseq: true);

        // The client closes; the entity acknowledges (RFC 7016 §3.5.5.2) and, rather than linger 19 s itself, tells the
        // gateway to answer the retransmitted Close Requests, numbered above every packet the session sent, and stops.
        initiator.Close(Environment.TickCount64);
        Assert.True(_gateway.Exchange(first, sid, initiator, () => initiator.State == SessionState.Closed));
        var lingering = (SessionLingering)_gateway.Probe.FishForMessage(m => m is SessionLingering or SessionClosed, TimeSpan.FromSeconds(3));
        Assert.Equal(sid, lingering.SessionId);
        Assert.True(lingering.NextSequenceNumber > _gateway.Sequences[^1], $"{lingering.NextSequenceNumber} after {_gateway.Sequences[^1]}");
        var passivate = FishForMessage<Passivate>(_ => true, TimeSpan.FromSeconds(3));
        Watch(first);
        first.Tell(passivate.StopMessage);
        ExpectTerminated(first);
        _gateway.Probe.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // no SessionClosed after it: the gateway forgets the keys later
        // Nor a wake-up left on the timer wheel (its keepalive): the stopped entity is not told anything later.
        Assert.Equal(0, SessionTimerWheel.Get(Sys).Count);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_session_the_client_closed_leaves_no_record()
    {
        await Task.Yield();
        const uint sid = 0x7375;
        var (first, initiator) = OpenWithOneEcho(sid);
        Assert.NotEmpty(RecordedEvents(sid)); // opened, and its echo flow on record

        initiator.Close(Environment.TickCount64);
        Assert.True(_gateway.Exchange(first, sid, initiator, () => initiator.State == SessionState.Closed));
        // Nothing can resume a session its client closed (RFC 7016 §3.5.5.2): its record goes as the entity stops.
        _gateway.Probe.FishForMessage(m => m is SessionLingering l && l.SessionId == sid, TimeSpan.FromSeconds(3));
        AwaitAssert(() => Assert.Empty(RecordedEvents(sid)), TimeSpan.FromSeconds(3));
    }

    /// <summary>The events the journal would replay to the session's next incarnation.</summary>
    private List<object> RecordedEvents(uint sid)
    {
        var probe = CreateTestProbe();
        var journal = Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null);
        string persistenceId = SessionActor.PersistenceIdPrefix + SessionMessageExtractor.EntityIdOf(sid);
        journal.Tell(new Akka.Persistence.ReplayMessages(0, long.MaxValue, long.MaxValue, persistenceId, probe.Ref));
        var events = new List<object>();
        while (true)
        {
            switch (probe.ReceiveOne(TimeSpan.FromSeconds(3)))
            {
                case Akka.Persistence.ReplayedMessage r:
                    events.Add(r.Persistent.Payload);
                    break;
                case Akka.Persistence.RecoverySuccess:
                    return events;
                case var other:
                    throw new InvalidOperationException($"journal answered {other}");
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        LocalGateways.Get(Sys).Unregister(_gateway.Probe.Ref);
        base.Dispose(disposing);
    }
}
