using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Rtmfp.Cluster;
using Rtmfp.Engine;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Sessions;

/// <summary>
/// The session's persistence (docs/decisions.md, "Session persistence"): a <see cref="SessionStarted"/> when it opens
/// (before the initiator hears of it), a <see cref="SessionCheckpoint"/> when its flows or address change (before the
/// packets that acknowledge a new flow leave) or its sequence numbers came near the margin a resume adds, and on
/// hand-off; nothing per packet. An entity that starts with a record resumes the session without a handshake (crash
/// recovery, rebalance, graceful leave); a closed session deletes its record.
/// </summary>
internal sealed partial class SessionActor
{
    public const string PersistenceIdPrefix = "rtmfp-session-";

    /// <summary>A resumed session's packets are numbered this far above the last recorded number (RFC 7425 §4.6.6).</summary>
    internal const ulong SendSequenceMargin = 1UL << 32;

    /// <summary>A resumed sending flow's numbers start this far above its recorded next number (RFC 7016 §3.6.2.3).</summary>
    internal const ulong FlowSequenceMargin = 1UL << 24;

    private const int SnapshotEvery = 16;

    private SessionStarted? _recovered;
    private long _recordedFlowChanges;
    private ulong _recordedSendProgress;
    private ulong _recordedSendSequence;
    private bool _handingOff;
    private bool _addressChanged;
    private long _recordedGroupChanges;
    private long _forgottenThrough; // the record's events up to this number were asked to go (ForgetRecord)

    public override string PersistenceId { get; }

    /// <summary>Whether this incarnation resumed a session persisted by an earlier one (tests, diagnostics).</summary>
    public bool Resumed { get; private set; }

    protected override bool ReceiveRecover(object message)
    {
        switch (message)
        {
            case SessionStarted s:
                _recovered = s;
                return true;
            case SessionCheckpoint c:
                _recovered = _recovered is null ? null : _recovered with { Checkpoint = c };
                return true;
            case SnapshotOffer o:
                _recovered = o.Snapshot as SessionStarted;
                return true;
            case RecoveryCompleted:
                OnRecovered();
                return true;
            default:
                return false;
        }
    }

    private void OnRecovered()
    {
        if (_recovered is not { } record)
        {
            return; // a new session, or an ID nobody opened: AwaitingOpen
        }
        _recovered = null;
        var open = record.Open;
        var checkpoint = record.Checkpoint;
        _open = open;
        // A record written after the first packet keeps no RIKeying (ReleaseRIKeying): nothing to answer an IIKeying with.
        _opened = open.RIKeyingPacket.Length > 0
            ? new SessionOpened(open.SessionId, open.FarSessionId, open.Crypto, checkpoint.FarAddress, open.RIKeyingPacket)
            : null;
        StartEngine(open, checkpoint.FarAddress);
        _nextSendSequence = checkpoint.SendSequence < ulong.MaxValue - SendSequenceMargin
            ? checkpoint.SendSequence + SendSequenceMargin
            : checkpoint.SendSequence;
        if (checkpoint.ReceiveSequence > 0)
        {
            _replayWindow.Accept(checkpoint.ReceiveSequence);
            _highestReceived = checkpoint.ReceiveSequence;
        }
        _engine!.Resume(ToEngine(checkpoint), FlowSequenceMargin);
        Resumed = true;
        if (checkpoint.FlashUnresumable)
        {
            // More NetConnection commands than a record keeps: it cannot be rebuilt, so the client hears at once.
            Log.Warning("session {0:x8}: its NetConnection cannot be rebuilt from its record; closing it", _sessionId);
            _engine.Close(Now);
        }
        else
        {
            if (checkpoint.FlashCommands.Count > 0 || checkpoint.GroupJoins.Count > 0 || checkpoint.PendingCalls.Count > 0)
            {
                EnsureServices(); // the NetConnection and group service are rebuilt before their flows carry anything
            }
            if (checkpoint.FlashCommands.Count > 0)
            {
                _adapter?.Replay(checkpoint.FlashCommands);
            }
            ResumeControlAndGroups(checkpoint);
        }
        LifeCycle = SessionLifeCycle.Open;
        Log.Info("session {0:x8} resumed with {1} receiving and {2} sending flows", _sessionId,
            checkpoint.ReceiveFlows.Count, checkpoint.SendFlows.Count);
        // The new numbering bases are recorded before anything numbered with them leaves.
        PersistCheckpoint(() => Reschedule(Now));
    }

    /// <summary>
    /// After the NetConnection's state commands: the control flow's unacknowledged messages go out again with their
    /// numbers, unanswered calls run again, and NetGroup memberships come back (the group entity hears of the member here).
    /// </summary>
    private void ResumeControlAndGroups(SessionCheckpoint checkpoint)
    {
        bool durable = false;
        foreach (var f in checkpoint.SendFlows)
        {
            durable |= f.Queue is not null;
        }
        _adapter?.ResumeControl(durable, checkpoint.PendingCalls);
        _groups?.Restore(checkpoint.GroupJoins);
    }

    private static SessionResumeState ToEngine(SessionCheckpoint c)
    {
        static FragmentResumeState ToFragment(PersistedFragment f) =>
            new(f.SequenceNumber, (FragmentControl)f.Fra, f.Acknowledged, f.Abandoned, f.Data);
        static FlowResumeState ToFlow(PersistedFlow f) => new(f.FlowId, f.Metadata, f.ReturnAssociation, f.SequenceNumber)
        {
            Queue = f.Queue is { } queue ? Map(queue, ToFragment) : null,
            Acknowledged = f.Acknowledged,
        };
        return new SessionResumeState(Map(c.ReceiveFlows, ToFlow), Map(c.SendFlows, ToFlow), c.NextFlowId);
    }

    /// <summary>The record's flows and the engine's are the same four fields (the engine knows nothing of Akka).</summary>
    private static TOut[] Map<TIn, TOut>(IReadOnlyList<TIn> items, Func<TIn, TOut> map)
    {
        var result = new TOut[items.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = map(items[i]);
        }
        return result;
    }

    private SessionCheckpoint Checkpoint()
    {
        var engine = _engine!;
        var flows = engine.ExportFlows();
        static PersistedFragment ToFragment(FragmentResumeState f) => new(f.SequenceNumber, (byte)f.Fra, f.Acknowledged, f.Abandoned, f.Data);
        static PersistedFlow ToRecord(FlowResumeState f) => new(f.FlowId, f.Metadata, f.ReturnAssociation, f.SequenceNumber)
        {
            Queue = f.Queue is { } queue ? Map(queue, ToFragment) : null,
            Acknowledged = f.Acknowledged,
        };
        _recordedFlowChanges = engine.FlowChanges;
        _addressChanged = false;
        var log = _adapter?.Commands;
        log?.MarkRecorded();
        _adapter?.MarkControlRecorded();
        _recordedGroupChanges = _groups?.Changes ?? 0;
        _recordedSendProgress = engine.SendProgress();
        _recordedSendSequence = _nextSendSequence;
        return new SessionCheckpoint(SocketAddresses.Copy(engine.FarAddress), _nextSendSequence, _highestReceived,
            Map(flows.ReceiveFlows, ToRecord), Map(flows.SendFlows, ToRecord), flows.NextFlowId, log?.Commands.ToArray() ?? [], log?.Overflowed ?? false)
        {
            PendingCalls = log?.PendingCalls() ?? [],
            GroupJoins = _groups?.Export() ?? [],
        };
    }

    /// <summary>The session opened: persisted before <paramref name="then"/> answers the gateway.</summary>
    private void PersistStarted(Action then)
    {
        var started = new SessionStarted(_open!, Checkpoint());
        _writesInFlight++; // SessionActor.Fanout.cs: nothing leaves from the fan-out's thread until it is stored
        Persist(started, _ =>
        {
            _writesInFlight--;
            then();
            LingerAtGateway(); // a far close that came while this write was in flight
        });
    }

    private void PersistCheckpoint(Action? then)
    {
        _writesInFlight++;
        Persist(Checkpoint(), c =>
        {
            _writesInFlight--;
            if (LastSequenceNr % SnapshotEvery == 0)
            {
                SaveSnapshot(new SessionStarted(_open!, c));
            }
            then?.Invoke();
            LingerAtGateway(); // a far close that came while this write was in flight
        });
    }

    /// <summary>
    /// RFC 7016 §3.5.5.2: once the Close Acknowledgement has left, the 19 s linger only answers retransmitted Close
    /// Requests, which the gateway does with the keys it holds: the entity stops now rather than in 19 s (when the
    /// gateway can take the linger, <see cref="CanLingerAtGateway"/>). True when the session finished here.
    /// </summary>
    private bool LingerAtGateway()
    {
        if (_engine is not { State: SessionState.FarCloseLinger } || !CanLingerAtGateway)
        {
            return false;
        }
        Finish(new SessionLingering(_sessionId, _nextSendSequence));
        return true;
    }

    /// <summary>
    /// After every engine call (cheap): a flow opened or closed, the client moved, its NetConnection took a state
    /// command, its control flow delivered a message or queued one of ours (exactly-once calls: one write per call and
    /// its answer when the application answers at once, one more when it answers later), or a NetGroup join changed.
    /// </summary>
    private bool RecordStale(Session engine) =>
        engine.State == SessionState.Open && !_handingOff
        && (engine.FlowChanges != _recordedFlowChanges || _addressChanged || _adapter is { Commands.Changed: true }
            || _adapter is { ControlChanged: true } || (_groups is { } groups && groups.Changes != _recordedGroupChanges));

    /// <summary>On timer ticks: sequence numbers came halfway to the margin a resume adds above the record.</summary>
    private void CheckpointIfNumbersAdvanced()
    {
        if (_engine is not { State: SessionState.Open } engine || _handingOff)
        {
            return;
        }
        if (_nextSendSequence - _recordedSendSequence >= SendSequenceMargin / 2
            || engine.SendProgress() - _recordedSendProgress >= FlowSequenceMargin / 2)
        {
            PersistCheckpoint(null);
        }
    }

    /// <summary>
    /// Rebalance or graceful leave (the shard's hand-off stop message): record, stop, resume elsewhere. Two explicit
    /// paths: when no other node of the sessions role is up, nobody would resume the session (a single node stopping,
    /// issue 11), so it closes in an orderly way as before and tells its gateway.
    /// </summary>
    private void HandOff()
    {
        if (_handingOff)
        {
            return;
        }
        if (!AnotherSessionsNodeUp())
        {
            BeginClose();
            if (!_gateway.IsNobody())
            {
                _gateway.Tell(new SessionClosed(_sessionId));
            }
            ForgetRecord();
            Context.Stop(Self);
            return;
        }
        _handingOff = true;
        CancelWakeup();
        Timers.CancelAll();
        if (_engine is not { State: SessionState.Open })
        {
            ForgetRecord(); // closing anyway: nothing to resume
            Context.Stop(Self);
            return;
        }
        PersistCheckpoint(() => Context.Stop(Self));
    }

    /// <summary>Whether another node of the sessions role is up and reachable (outside a cluster, as in unit tests: yes).</summary>
    private bool AnotherSessionsNodeUp()
    {
        if (((ExtendedActorSystem)Context.System).Provider is not Akka.Cluster.ClusterActorRefProvider)
        {
            return true;
        }
        var cluster = Akka.Cluster.Cluster.Get(Context.System);
        var state = cluster.State;
        foreach (var member in state.Members)
        {
            if (member.Status == Akka.Cluster.MemberStatus.Up && member.HasRole(ClusterRoles.Sessions)
                && !member.Address.Equals(cluster.SelfAddress) && !state.Unreachable.Contains(member))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The session left S_OPEN (RFC 7016 §3.5.5: closing, or lingering after the far end closed): nothing of it can be
    /// resumed any more (a hand-off drops such a record too), so the record goes now rather than when the engine lets
    /// the session go, up to 19 s later. A write still in flight is deleted with the rest when the session finishes.
    /// </summary>
    private void ForgetRecordOnceClosing(Session engine)
    {
        if (engine.State != SessionState.Open && _writesInFlight == 0 && !_handingOff)
        {
            ForgetRecord();
        }
    }

    /// <summary>The session is over: its record goes, so the ID can serve a new session later.</summary>
    private void ForgetRecord()
    {
        if (LastSequenceNr > _forgottenThrough)
        {
            _forgottenThrough = LastSequenceNr;
            // The entity passivates now, before the stores answer: their answers go to Nobody (which drops them) rather
            // than to this actor, whose mailbox is gone by then (each answer was a dead letter of every closed session).
            // An operation the Redis store gives up on is logged there, at Error (RedisRetry).
            var persistence = Akka.Persistence.Persistence.Instance.Apply(Context.System);
            var journal = persistence.JournalFor(JournalPluginId);
            journal.Tell(new DeleteMessagesTo(PersistenceId, LastSequenceNr, ActorRefs.Nobody), ActorRefs.Nobody);
            persistence.SnapshotStoreFor(SnapshotPluginId)
                .Tell(new DeleteSnapshots(PersistenceId, new SnapshotSelectionCriteria(long.MaxValue)), ActorRefs.Nobody);
            if (_settings.PurgeRecord is { } purge)
            {
                // Nothing more is written under this ID by this incarnation: no key of it stays behind (issue 9).
                journal.Tell(purge(PersistenceId, LastSequenceNr), ActorRefs.Nobody);
            }
        }
    }

    private void OnFetchKeys(FetchSessionKeys fetch)
    {
        if (_gateway.IsNobody())
        {
            SetGateway(Sender); // a resumed session learns its gateway from the first one to ask
        }
        Sender.Tell(KeysReply());
    }

    private SessionKeysReply KeysReply() => new(_sessionId, _open!.FarSessionId, _open.Crypto, _engine!.FarAddress);

    /// <summary>
    /// A resumed session tells each gateway its packets come through where it now lives: the gateway then sends to it
    /// directly (it routed through the shard region since the old incarnation stopped).
    /// </summary>
    private void AnnounceResumed()
    {
        if (Resumed && !_gateway.IsNobody())
        {
            _gateway.Tell(KeysReply());
        }
    }

    /// <summary>Answers of the journal and snapshot store, in every state: false for any other message.</summary>
    private bool PersistenceReply(object message)
    {
        switch (message)
        {
            case SaveSnapshotSuccess s:
                DeleteMessages(s.Metadata.SequenceNr);
                return true;
            case SaveSnapshotFailure f:
                Log.Warning("session {0:x8}: snapshot failed: {1}", _sessionId, f.Cause.Message);
                return true;
            case DeleteMessagesFailure f:
                Log.Warning("session {0:x8}: deleting its record failed: {1}", _sessionId, f.Cause.Message);
                return true;
            case DeleteSnapshotsFailure f:
                Log.Warning("session {0:x8}: deleting its snapshots failed: {1}", _sessionId, f.Cause.Message);
                return true;
            case DeleteMessagesSuccess or DeleteSnapshotsSuccess:
                return true;
            default:
                return false;
        }
    }
}
