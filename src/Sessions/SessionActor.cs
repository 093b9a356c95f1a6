using System.Buffers;
using System.Runtime.CompilerServices;
using System.Net;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using Rtmfp.Engine;
using Rtmfp.Flash;
using Rtmfp.Sessions.Flows;
using Rtmfp.Sessions.Groups;
using Rtmfp.Sessions.Rendezvous;
using Rtmfp.Sessions.Rtmfp;
using Rtmfp.Shared.Flash;
using Rtmfp.Sessions.Streams;
using Rtmfp.Cluster;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Shared.Wire;
using Address = Rtmfp.Shared.Wire.Address;

namespace Rtmfp.Sessions;

/// <summary>
/// One RTMFP session (entity ID = responder session ID): a thin shell around the engine's
/// <see cref="Session"/> that owns its state, schedules its timers and talks to gateways.
/// The session owns the anti-replay window and the send sequence numbers (RFC 7425 §4.6.6),
/// so any gateway can decrypt and encrypt for it with cached keys. With <see cref="FlashServices"/> it
/// serves a Flash client over "TC" flows (<see cref="RtmfpFlashAdapter"/>), relays streams through the
/// sharded <see cref="StreamActor"/>s and takes part in rendezvous (it registers its peer ID and
/// answers lookups with a Redirect and an FIHello), and its NetGroup "GC" flows join sharded group entities
/// (<see cref="GroupFlowService"/>). Flows whose metadata starts with "echo" go to the <see cref="EchoService"/>;
/// every other flow is rejected.
/// </summary>
internal sealed partial class SessionActor : PersistentActor, IWithTimers, ISessionHandler
{
    /// <summary>An application decision completed elsewhere; run its continuation here (NetConnectionOptions.Dispatch).</summary>
    private sealed record RunContinuation(Action Continuation);

    private const int PacketBufferSize = 1500;

    private readonly SessionActorSettings _settings;
    private readonly RtmfpMetrics? _metrics;
    private readonly uint _sessionId;

    private Session? _engine;
    private OpenSession? _open;
    private SessionOpened? _opened;
    private IActorRef _gateway = ActorRefs.Nobody;
    private ILocalPacketSink? _gatewaySink;
    // One build buffer per thread, not per session (issue 9: an idle session holds no packet buffer): a session builds
    // and hands each packet to its gateway within one call, and an actor runs on one thread at a time.
    [ThreadStatic]
    private static byte[]? t_packetBuffer;
    private AntiReplayWindow _replayWindow;
    private ulong _nextSendSequence;
    private SocketAddress? _lastTo;
    private SocketAddress? _lastToCopy;
    private long _reportedRetransmissions;
    private bool _countedOpen;
    private global::Rtmfp.Shared.Operations.SessionEntry? _listed;
    private int _reportedSrtt = -1;
    private ulong _highestReceived;

    private readonly FlashServices? _flash;
    private RtmfpFlashAdapter? _adapter;
    private IStreamRelay? _relay;
    private ClusterStreamRelay? _clusterRelay;
    private SessionStreamWatch? _streamWatch;
    private SessionRendezvous? _rendezvous;
    private FlowRouter? _flows;
    private EchoService? _echo;
    private GroupFlowService? _groups;
    private Groups.Seeding.SeedPeerService? _seedPeer;

    public SessionActor(string entityId, SessionActorSettings settings, RtmfpMetrics? metrics)
        : this(entityId, settings, metrics, null)
    {
    }

    public SessionActor(string entityId, SessionActorSettings settings, RtmfpMetrics? metrics, FlashServices? flash)
    {
        _settings = settings;
        _metrics = metrics;
        _flash = flash;
        SessionMessageExtractor.TryParseEntityId(entityId, out _sessionId);
        PersistenceId = PersistenceIdPrefix + entityId;
    }

    private void OnPacketWhileNotOpen(InboundPacket packet)
    {
        ArrayPool<byte>.Shared.Return(packet.Buffer);
        AnswerUnknown();
    }

    private void OnBatchWhileNotOpen(InboundPacketBatch batch)
    {
        foreach (var packet in batch.Packets)
        {
            ArrayPool<byte>.Shared.Return(packet.Buffer);
        }
        AnswerUnknown();
    }

    /// <summary>
    /// A gateway asking about a session never opened here hears so, until passivation ends, and nothing is kept:
    /// the first such question starts the passivation. A session that did open and is stopping says nothing.
    /// </summary>
    private void AnswerUnknown()
    {
        if (_open is null)
        {
            Sender.Tell(new UnknownSession(_sessionId));
        }
        StopUnknown();
    }

    /// <summary>The Flash adapter, once the session is open with <see cref="FlashServices"/> (tests, diagnostics).</summary>
    public RtmfpFlashAdapter? FlashAdapter => _adapter;

    public ITimerScheduler Timers { get; set; } = null!;

    private static long Now => Environment.TickCount64;

    /// <summary>RFC 7016 §3.5.1.1.2: a retransmitted IIKeying gets the same RIKeying; another initiator collides.</summary>
    private void OnRepeatedOpen(OpenSession open)
    {
        if (!_open!.Cookie.AsSpan().SequenceEqual(open.Cookie))
        {
            Sender.Tell(new SessionIdCollision(open.SessionId, open.Cookie));
        }
        else if (_opened is not null)
        {
            Sender.Tell(_opened);
        }
        // Else the initiator is in the session already (ReleaseRIKeying): a late copy of its IIKeying needs no answer.
    }

    /// <summary>
    /// The handshake's nonces (RFC 7425 §4.6.5) derived the keys and serve afterwards only a server member's group key
    /// (SeedPeerService): any other session keeps, and records, none of their ~400 bytes (issue 9). The gateway's
    /// SessionOpened still carries them whole.
    /// </summary>
    private OpenSession WithoutUnusedNonces(OpenSession open) =>
        Groups.Seeding.SeedPeerService.MayServe(_flash, open) || (open.Crypto.NearNonce.Length == 0 && open.Crypto.FarNonce.Length == 0)
            ? open
            : open with { Crypto = open.Crypto with { NearNonce = [], FarNonce = [] } };

    /// <summary>
    /// A packet came under the session keys, so the initiator has our RIKeying: a retransmitted IIKeying cannot follow
    /// (RFC 7016 §3.5.1.1.2; a late duplicate is ignored), and its ~350 bytes are not kept for the session's life
    /// (issue 9: live heap per idle session). Later records of the session carry an empty one.
    /// </summary>
    private void ReleaseRIKeying()
    {
        _opened = null;
        if (_open is { RIKeyingPacket.Length: > 0 } open)
        {
            _open = open with { RIKeyingPacket = [] };
        }
    }

    private void OnOpen(OpenSession open)
    {
        _open = WithoutUnusedNonces(open);
        SetGateway(Sender);
        StartEngine(open, open.FarAddress);
        // A handshake, not a resume (which starts the engine too): the count behind issue 9's "no new handshake".
        _metrics?.HandshakesCompleted.Add(1);
        if (_flash?.Logger is { } logger) SessionLog.Opened(logger, _sessionId, open.FarAddress);
    }

    /// <summary>The engine, for a new session or one resumed from its record; the services on its flows come with the first flow.</summary>
    private void StartEngine(OpenSession open, SocketAddress farAddress)
    {
        _engine = new Session(SessionRole.Responder, farAddress, this, Now, EngineOptions(_settings));
        _opened = new SessionOpened(open.SessionId, open.FarSessionId, open.Crypto, open.FarAddress, open.RIKeyingPacket);
        CountOpen(open);
        LifeCycle = SessionLifeCycle.Open;
        // Persisted before the initiator hears of it: a session a client knows of can always be resumed.
        var gateway = Sender;
        PersistStarted(() => gateway.Tell(_opened));
        Reschedule(Now);
    }

    /// <summary>
    /// The services that claim flows (echo, Flash "TC", NetGroup "GC", the server member's peer flows), made when the
    /// first flow opens: a session that opens none (an idle one) holds none of them (issue 9: live heap per idle
    /// session). Until then nothing can be published, played, joined or registered for rendezvous.
    /// </summary>
    private FlowRouter EnsureServices()
    {
        if (_flows is { } flows)
        {
            return flows;
        }
        var engine = _engine!;
        _flows = flows = new FlowRouter();
        _echo = new EchoService(engine);
        flows.Register(EchoService.Signature, _echo);
        if (_flash is not null)
        {
            StartFlash(_flash, engine);
            flows.Register(FlowSignatureKind.RtmpStream, _adapter!);
            var groupRegion = _flash.GroupRegion?.Invoke();
            _groups = new GroupFlowService(engine, () => _adapter?.Connection, groupRegion is { } g && !g.IsNobody() ? g : null, Self, _flash.Groups, _metrics);
            flows.Register(FlowSignatureKind.NetGroup, _groups);
            if ((_seedPeer = Groups.Seeding.SeedPeerService.TryCreate(_flash, engine, _open!, Self)) is not null)
            {
                flows.Register(FlowSignatureKind.NetGroupPeer, _seedPeer); // a member's session with the server member
            }
        }
        return flows;
    }

    /// <summary>One options object per settings, shared by every session of the node.</summary>
    private static SessionOptions EngineOptions(SessionActorSettings settings)
    {
        var cached = s_engineOptions;
        if (cached is not null && ReferenceEquals(cached.Value.Settings, settings))
        {
            return cached.Value.Options;
        }
        var options = new SessionOptions
        {
            IdleTimeoutMs = (long)settings.IdleTimeout.TotalMilliseconds,
            KeepaliveIntervalMs = (long)settings.KeepaliveInterval.TotalMilliseconds,
            // MOB_SECRET (RFC 7016 §3.5.4.2) is ours alone whether one session or all of this node's use it: the hash
            // binds a session's own timestamp and the address checked, and only that session's peer can echo it.
            MobilitySecret = RandomNumberGenerator.GetBytes(32),
        };
        s_engineOptions = new StrongBox<(SessionActorSettings, SessionOptions)>((settings, options));
        return options;
    }

    private static StrongBox<(SessionActorSettings Settings, SessionOptions Options)>? s_engineOptions;

    private void OnInbound(InboundPacket packet)
    {
        long now = Now;
        if (Receive(packet, now))
        {
            AfterEngine(now);
        }
    }

    /// <summary>
    /// Several packets of one gateway receive batch (InboundPacketBatch): each goes through the engine in order, then
    /// one pump answers them all (an acknowledgement can cover several).
    /// </summary>
    private void OnInboundBatch(InboundPacketBatch batch)
    {
        long now = Now;
        bool any = false;
        foreach (var packet in batch.Packets)
        {
            any |= Receive(packet, now);
        }
        if (any)
        {
            AfterEngine(now);
        }
    }

    /// <summary>One packet into the engine (anti-replay first, RFC 7425 §4.6.6); its pooled buffer goes back. False if dropped.</summary>
    private bool Receive(InboundPacket packet, long now)
    {
        try
        {
            if (!AcceptSequenceNumber(packet.SequenceNumber))
            {
                return false;
            }
            if (!Sender.IsNobody() && !Sender.Equals(Context.System.DeadLetters) && !Sender.Equals(_gateway))
            {
                SetGateway(Sender);
                AnnounceResumed();
            }
            if (_opened is not null)
            {
                ReleaseRIKeying();
            }
            _engine!.Receive(packet.Buffer.AsSpan(packet.Offset, packet.Length), packet.From, now);
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(packet.Buffer);
        }
    }

    /// <summary>RFC 7425 §4.6.6: false (and counted) when the anti-replay window refuses the packet's sequence number.</summary>
    private bool AcceptSequenceNumber(ulong sequenceNumber)
    {
        if (!_open!.Crypto.Verification.ReceiveSequenceNumbers)
        {
            return true;
        }
        if (!_replayWindow.IsAcceptable(sequenceNumber))
        {
            _metrics?.Dropped(DropReasons.Replayed);
            return false;
        }
        _replayWindow.Accept(sequenceNumber);
        _highestReceived = Math.Max(_highestReceived, sequenceNumber);
        return true;
    }

    private void BeginClose()
    {
        if (_engine is { State: SessionState.Open })
        {
            long now = Now;
            _engine.Close(now);
            AfterEngine(now);
        }
        else if (_engine is { State: SessionState.FarCloseLinger })
        {
            // The client closed already; the linger only answers its retransmitted Close Requests (RFC 7016 §3.5.5.2).
            // Asked to end (shutdown drain, an operator's close), end now with one more Close Acknowledgement rather
            // than hold the node's drain for up to 19 s and report a closed session as still open.
            long now = Now;
            _engine.Abort();
            AfterEngine(now);
        }
    }

    /// <summary>Media for one of our players: the fan-out hot path, so no closure as in <see cref="AroundEngine"/>.</summary>
    private void OnStreamEvent(StreamEventDelivery delivery)
    {
        if (_clusterRelay is null)
        {
            return;
        }
        _clusterRelay.Deliver(delivery);
        AfterEngine(Now);
    }

    /// <summary>Runs work that may write to flows (outside engine callbacks), then sends what it produced.</summary>
    private void AroundEngine(Action work)
    {
        if (LifeCycle != SessionLifeCycle.Open)
        {
            return;
        }
        work();
        AfterEngine(Now);
    }

    /// <summary>After every engine call: Flash work that must not run inside engine callbacks, then the packet pump.</summary>
    private void AfterEngine(long now)
    {
        var engine = _engine!;
        _echo?.Service();
        if (_adapter is { } adapter)
        {
            adapter.Service();
            _rendezvous?.Update(adapter.Connection);
            if (adapter.CloseDueMs <= now && engine.State == SessionState.Open)
            {
                engine.Close(now);
            }
        }
        if (RecordStale(engine))
        {
            // Write-ahead: the acknowledgement of a new flow leaves once the flow is on record.
            PersistCheckpoint(() => Pump(Now));
            return;
        }
        Pump(now);
    }

    /// <summary>Drains every packet the engine wants to send now, then re-arms the timer.</summary>
    private void Pump(long now)
    {
        var engine = _engine!;
        try
        {
            PumpPackets(engine, now);
        }
        finally
        {
            _gatewaySink?.Flush();
        }
        ReportTelemetry(engine);
        if (engine.State == SessionState.Closed)
        {
            Finish();
            return;
        }
        if (LingerAtGateway())
        {
            return;
        }
        ForgetRecordOnceClosing(engine);
        Reschedule(now);
    }

    private void PumpPackets(Session engine, long now)
    {
        while (true)
        {
            if (_gatewaySink is { } sink)
            {
                // Same node: the gateway encrypts and sends on this thread, no message and no pooled copy.
                var packet = t_packetBuffer ??= new byte[PacketBufferSize];
                if (!engine.TryBuildPacket(packet, now, out int built, out var address))
                {
                    break;
                }
                sink.Send(_sessionId, _open!.FarSessionId, packet.AsSpan(0, built), NextSendSequence(), address);
                continue;
            }
            var buffer = ArrayPool<byte>.Shared.Rent(PacketBufferSize);
            if (!engine.TryBuildPacket(buffer, now, out int length, out var to))
            {
                ArrayPool<byte>.Shared.Return(buffer);
                break;
            }
            if (_gateway.IsNobody())
            {
                ArrayPool<byte>.Shared.Return(buffer);
                continue;
            }
            _gateway.Tell(new OutboundPacket(_sessionId, _open!.FarSessionId, buffer, length, NextSendSequence(), Stable(to)));
        }
    }

    /// <summary>RFC 7425 §4.6.6: the session numbers its packets when the far end asked for sequence numbers.</summary>
    private ulong NextSendSequence() => _open!.Crypto.Verification.SendSequenceNumbers ? _nextSendSequence++ : 0;

    /// <summary>The gateway that spoke last answers for the session; one in this process is called directly.</summary>
    private void SetGateway(IActorRef gateway)
    {
        _gateway = gateway;
        _gatewaySink = LocalGateways.Get(Context.System).Find(gateway);
        AttachInbound();
    }

    private void ReportTelemetry(Session engine)
    {
        SessionListing.Update(_listed, _adapter?.Connection);
        if (_metrics is null)
        {
            return;
        }
        if (engine.Retransmissions != _reportedRetransmissions)
        {
            _metrics.Retransmissions.Add(engine.Retransmissions - _reportedRetransmissions);
            _reportedRetransmissions = engine.Retransmissions;
        }
        int srtt = engine.Rto.SrttMs;
        if (srtt >= 0 && srtt != _reportedSrtt)
        {
            _metrics.Rtt.Record(srtt / 1000.0);
            _reportedSrtt = srtt;
        }
    }

    /// <summary>The engine may replace its address later; messages need one that never changes.</summary>
    private SocketAddress Stable(SocketAddress to)
    {
        if (!ReferenceEquals(to, _lastTo))
        {
            _lastTo = to;
            _lastToCopy = SocketAddresses.Copy(to);
        }
        return _lastToCopy!;
    }

    /// <summary>
    /// The gateway can take over the far close linger: it is known, the session is not handing off, and nothing of it is
    /// being written (an event still in flight would escape the record's deletion, which covers what the journal
    /// confirmed: the write's callback hands the linger over, LingerAtGateway). Otherwise the actor lingers itself.
    /// </summary>
    private bool CanLingerAtGateway => !_gateway.IsNobody() && _writesInFlight == 0 && !_handingOff;

    /// <summary>Ends the session: its record goes, the gateway hears <paramref name="toGateway"/> (else SessionClosed).</summary>
    private void Finish(object? toGateway = null)
    {
        if (LifeCycle == SessionLifeCycle.Stopping)
        {
            return;
        }
        EnterStopping();
        UncountOpen();
        LeaveCluster();
        ForgetRecord();
        if (!_gateway.IsNobody())
        {
            _gateway.Tell(toGateway ?? new SessionClosed(_sessionId));
        }
        if (_flash?.Logger is { } logger) SessionLog.Closed(logger, _sessionId, SessionLog.Describe(_engine?.CloseCause ?? SessionCloseCause.None));
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }

    private void StopUnknown()
    {
        // Nothing was ever opened here: leave no state behind (a random session ID from a peer).
        if (LifeCycle != SessionLifeCycle.Stopping)
        {
            EnterStopping();
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
        }
    }

    protected override void PostStop()
    {
        if (LifeCycle == SessionLifeCycle.Open && !_handingOff)
        {
            _adapter?.Connection?.OnPeerClosed(abrupt: true);
        }
        CancelWakeup();
        UncountOpen();
        LeaveCluster();
        base.PostStop();
    }

    /// <summary>"Open sessions" counts sessions in S_OPEN: one lingering after a close (RFC 7016 §3.5.5) is not open.</summary>
    /// <summary>Counted and listed (rtmfp-ops) as open: on a new session and on one resumed from its record alike.</summary>
    private void CountOpen(OpenSession open)
    {
        _metrics?.SessionOpened();
        _countedOpen = true;
        _listed = SessionListing.Add(_settings.Directory, open, Self);
    }

    private void UncountOpen()
    {
        if (_countedOpen)
        {
            _countedOpen = false;
            _metrics?.SessionClosed();
            _listed?.Dispose();
        }
    }
}

/// <summary>The life-cycle states of a <see cref="SessionActor"/>.</summary>
internal enum SessionLifeCycle
{
    /// <summary>No gateway has opened the session yet: anything but <see cref="OpenSession"/> is told it is unknown.</summary>
    AwaitingOpen,

    /// <summary>The engine runs: S_OPEN, then closing and lingering (RFC 7016 §3.5.5).</summary>
    Open,

    /// <summary>The engine closed, or nothing was ever opened: passivating, answering nothing new.</summary>
    Stopping,
}
