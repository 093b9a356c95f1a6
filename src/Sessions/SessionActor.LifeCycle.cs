using Akka.Actor;
using Rtmfp.Cluster;
using Rtmfp.Sessions.Streams;

namespace Rtmfp.Sessions;

// The session's life cycle: which messages each state takes.
internal sealed partial class SessionActor
{
    /// <summary>
    /// Life cycle, as sharding's own entities model it: <see cref="SessionLifeCycle.AwaitingOpen"/> until a gateway
    /// opens the session, <see cref="SessionLifeCycle.Open"/> while the engine runs (its S_OPEN, closing and lingering
    /// states, RFC 7016 §3.5.5), <see cref="SessionLifeCycle.Stopping"/> once the engine closed or nothing was ever
    /// opened, until passivation ends. One switch per state rather than Akka's typed Command registrations: those
    /// cost every session about 3 KiB of delegates and matchers (issue 9: live heap per idle session).
    /// </summary>
    private SessionLifeCycle LifeCycle { get; set; }

    protected override bool ReceiveCommand(object message) => LifeCycle switch
    {
        SessionLifeCycle.Open => OpenCommand(message),
        SessionLifeCycle.AwaitingOpen => AwaitingOpenCommand(message),
        _ => StoppingCommand(message),
    };

    private bool AwaitingOpenCommand(object message)
    {
        if (message is OpenSession open)
        {
            OnOpen(open);
            return true;
        }
        return NotOpenCommand(message);
    }

    /// <summary>
    /// AwaitingOpen and Stopping alike: packets and key questions hear the session is unknown (nothing was ever opened
    /// here: a random session ID from a peer, or a gateway's stale cache; or it closed), anything else is ignored.
    /// </summary>
    private bool NotOpenCommand(object message)
    {
        switch (message)
        {
            case InboundPacket packet:
                OnPacketWhileNotOpen(packet);
                break;
            case InboundPacketBatch batch:
                OnBatchWhileNotOpen(batch);
                break;
            case FetchSessionKeys:
                AnswerUnknown();
                break;
            case SessionHandOff:
                Context.Stop(Self);
                break;
            default:
                PersistenceReply(message);
                break;
        }
        return true;
    }

    private bool OpenCommand(object message)
    {
        switch (message)
        {
            case InboundPacket packet: OnInbound(packet); break;
            case InboundPacketBatch batch: OnInboundBatch(batch); break;
            case StreamEventDelivery delivery: OnStreamEvent(delivery); break;
            case StreamPortWake: OnStreamPortWake(); break; // the node's fan-out queued while this actor was busy
            case Tick: OnTick(); break;
            case RunContinuation r: AroundEngine(r.Continuation); break;
            case OpenSession open: OnRepeatedOpen(open); break;
            case FetchSessionKeys fetch: OnFetchKeys(fetch); break;
            case CloseSession: BeginClose(); break;
            // Rebalance or graceful leave: the session persists and stops without closing; it resumes on its new node at
            // the next packet (SessionActor.Persistence.cs). A close is the other, explicit path (CloseSession).
            case SessionHandOff: HandOff(); break;
            case StreamEntityStopped s: _streamWatch?.OnEntityStopped(s.Stream); break;
            case PublishStreamResult r: _streamWatch?.OnPublishResult(r); break; // the entity that accepted a publisher
            case StreamSubscribed s: _streamWatch?.OnSubscribed(Sender, s); break;
            case Terminated t: _streamWatch?.OnTerminated(t.ActorRef); break; // a stream entity stopped or died with its node
            case SessionStreamWatch.Retry: _streamWatch?.OnRetry(); break;
            case LookupPeer lookup: OnLookupPeer(lookup); break;
            case PeerDirectoryStopped: _rendezvous?.OnDirectoryStopped(); break;
            // Each lambda in a method of its own: a lambda here that captured its case's variable made the compiler
            // allocate the closure at this method's entry, for every message (every inbound packet) the session handles.
            case IntroduceGroupMembers m: OnIntroduceGroupMembers(m); break;
            case GroupJoinRefused m: OnGroupJoinRefused(m); break;
            case GroupEntityStopped m: _groups?.OnGroupStopped(m); break;
            case Groups.Seeding.SeedSend m: OnSeedSend(m); break;
            default: return PersistenceReply(message);
        }
        return true;
    }

    private void OnIntroduceGroupMembers(IntroduceGroupMembers m) => AroundEngine(() => _groups?.Introduce(m));

    private void OnGroupJoinRefused(GroupJoinRefused m) => AroundEngine(() => _groups?.OnRefused(m));

    private void OnSeedSend(Groups.Seeding.SeedSend m) => AroundEngine(() => _seedPeer?.Send(m));

    private bool StoppingCommand(object message)
    {
        // A retransmitted IIKeying of the session that just closed still gets its answer (RFC 7016 §3.5.1.1.2).
        if (message is OpenSession open && _open is not null)
        {
            OnRepeatedOpen(open);
            return true;
        }
        return NotOpenCommand(message);
    }

    private void EnterStopping()
    {
        LifeCycle = SessionLifeCycle.Stopping;
        CancelWakeup();
        Timers.CancelAll();
    }
}
