using System.Buffers;
using System.Net;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Rtmfp.Engine;
using Rtmfp.Shared.Cluster;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Sessions;

/// <summary>
/// One RTMFP session (entity ID = responder session ID): a thin shell around the engine's
/// <see cref="Session"/> that owns its state, schedules its timers and talks to gateways.
/// The session owns the anti-replay window and the send sequence numbers (RFC 7425 §4.6.6),
/// so any gateway can decrypt and encrypt for it with cached keys.
/// </summary>
public sealed class SessionActor : ReceiveActor, IWithTimers, ISessionHandler
{
    /// <summary>Sent by sharding when the node leaves (ShardOptions.HandOffStopMessage): close, then stop.</summary>
    public sealed class HandOff
    {
        public static readonly HandOff Instance = new();
        private HandOff()
        {
        }
    }

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }

    private const int PacketBufferSize = 1500;

    private readonly SessionActorSettings _settings;
    private readonly RtmfpMetrics? _metrics;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly uint _sessionId;

    private Session? _engine;
    private OpenSession? _open;
    private SessionOpened? _opened;
    private IActorRef _gateway = ActorRefs.Nobody;
    private AntiReplayWindow _replayWindow;
    private ulong _nextSendSequence;
    private long _scheduledWakeup = long.MaxValue;
    private SocketAddress? _lastTo;
    private SocketAddress? _lastToCopy;
    private bool _stopping;
    private long _reportedRetransmissions;
    private bool _countedOpen;
    private int _reportedSrtt = -1;

    public SessionActor(string entityId, SessionActorSettings settings, RtmfpMetrics? metrics)
    {
        _settings = settings;
        _metrics = metrics;
        SessionMessageExtractor.TryParseEntityId(entityId, out _sessionId);

        Receive<OpenSession>(OnOpen);
        Receive<InboundPacket>(OnInbound);
        Receive<FetchSessionKeys>(_ => OnFetchKeys());
        Receive<Tick>(_ => OnTick());
        Receive<CloseSession>(_ => BeginClose());
        Receive<HandOff>(_ =>
        {
            BeginClose();
            Context.Stop(Self);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private static long Now => Environment.TickCount64;

    private void OnOpen(OpenSession open)
    {
        if (_open is not null)
        {
            // RFC 7016 §3.5.1.1.2: a retransmitted IIKeying gets the same RIKeying; another initiator collides.
            if (_open.Cookie.AsSpan().SequenceEqual(open.Cookie) && _opened is not null)
            {
                Sender.Tell(_opened);
            }
            else
            {
                Sender.Tell(new SessionIdCollision(open.SessionId, open.Cookie));
            }
            return;
        }
        _open = open;
        _gateway = Sender;
        var options = new SessionOptions
        {
            IdleTimeoutMs = (long)_settings.IdleTimeout.TotalMilliseconds,
            KeepaliveIntervalMs = (long)_settings.KeepaliveInterval.TotalMilliseconds,
        };
        _engine = new Session(SessionRole.Responder, open.FarAddress, this, Now, options);
        _opened = new SessionOpened(open.SessionId, open.FarSessionId, open.Crypto, open.FarAddress, open.RIKeyingPacket);
        _metrics?.SessionOpened();
        _countedOpen = true;
        _metrics?.HandshakesCompleted.Add(1);
        Sender.Tell(_opened);
        Reschedule(Now);
    }

    private void OnInbound(InboundPacket packet)
    {
        try
        {
            if (_engine is null)
            {
                Sender.Tell(new UnknownSession(packet.SessionId));
                StopUnknown();
                return;
            }
            if (_open!.Crypto.Verification.ReceiveSequenceNumbers)
            {
                if (!_replayWindow.IsAcceptable(packet.SequenceNumber))
                {
                    _metrics?.DecryptFailures.Add(1);
                    return;
                }
                _replayWindow.Accept(packet.SequenceNumber);
            }
            if (!Sender.IsNobody() && !Sender.Equals(Context.System.DeadLetters))
            {
                _gateway = Sender;
            }
            long now = Now;
            _engine.Receive(packet.Buffer.AsSpan(packet.Offset, packet.Length), packet.From, now);
            Pump(now);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(packet.Buffer);
        }
    }

    private void OnFetchKeys()
    {
        if (_engine is null || _open is null)
        {
            Sender.Tell(new UnknownSession(_sessionId));
            StopUnknown();
            return;
        }
        Sender.Tell(new SessionKeysReply(_sessionId, _open.FarSessionId, _open.Crypto, _engine.FarAddress));
    }

    private void OnTick()
    {
        _scheduledWakeup = long.MaxValue;
        if (_engine is null)
        {
            return;
        }
        long now = Now;
        _engine.Tick(now);
        Pump(now);
    }

    private void BeginClose()
    {
        if (_engine is { State: SessionState.Open })
        {
            long now = Now;
            _engine.Close(now);
            Pump(now);
        }
    }

    /// <summary>Drains every packet the engine wants to send now, then re-arms the timer.</summary>
    private void Pump(long now)
    {
        var engine = _engine!;
        while (true)
        {
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
            ulong sequence = _open!.Crypto.Verification.SendSequenceNumbers ? _nextSendSequence++ : 0;
            _gateway.Tell(new OutboundPacket(_sessionId, _open.FarSessionId, buffer, length, sequence, Stable(to)));
        }
        ReportTelemetry(engine);
        if (engine.State == SessionState.Closed)
        {
            Finish();
            return;
        }
        Reschedule(now);
    }

    private void ReportTelemetry(Session engine)
    {
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
            _metrics.Rtt.Record(srtt);
            _reportedSrtt = srtt;
        }
    }

    /// <summary>The engine may replace its address later; messages need one that never changes.</summary>
    private SocketAddress Stable(SocketAddress to)
    {
        if (!ReferenceEquals(to, _lastTo))
        {
            _lastTo = to;
            var copy = new SocketAddress(to.Family, to.Size);
            to.Buffer.Span[..to.Size].CopyTo(copy.Buffer.Span);
            _lastToCopy = copy;
        }
        return _lastToCopy!;
    }

    private void Reschedule(long now)
    {
        long due = _engine!.NextWakeupMs(now);
        if (due == long.MaxValue || due == _scheduledWakeup)
        {
            return;
        }
        _scheduledWakeup = due;
        Timers.StartSingleTimer("tick", Tick.Instance, TimeSpan.FromMilliseconds(Math.Max(1, due - now)));
    }

    private void Finish()
    {
        if (_stopping)
        {
            return;
        }
        _stopping = true;
        Timers.CancelAll();
        UncountOpen();
        if (!_gateway.IsNobody())
        {
            _gateway.Tell(new SessionClosed(_sessionId));
        }
        _log.Debug("session {0:x8} closed", _sessionId);
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }

    private void StopUnknown()
    {
        // Nothing was ever opened here: leave no state behind (a random session ID from a peer).
        if (!_stopping)
        {
            _stopping = true;
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
        }
    }

    protected override void PostStop()
    {
        UncountOpen();
        base.PostStop();
    }

    /// <summary>"Open sessions" counts sessions in S_OPEN: one lingering after a close (RFC 7016 §3.5.5) is not open.</summary>
    private void UncountOpen()
    {
        if (_countedOpen)
        {
            _countedOpen = false;
            _metrics?.SessionClosed();
        }
    }

    // ---------------------------------------------------------------- ISessionHandler

    void ISessionHandler.OnStateChanged(Session session, SessionState state)
    {
        if (state != SessionState.Open)
        {
            UncountOpen();
        }
    }

    void ISessionHandler.OnFlowOpened(Session session, RecvFlow flow)
    {
        if (EchoService.Accepts(flow))
        {
            EchoService.OnFlowOpened(session, flow);
        }
        else
        {
            // RFC 7016 §3.6.3.7: a flow nobody handles is rejected.
            flow.Reject(0);
        }
    }

    void ISessionHandler.OnMessage(Session session, RecvFlow flow, ReadOnlySpan<byte> message) => EchoService.OnMessage(flow, message);

    void ISessionHandler.OnFlowComplete(Session session, RecvFlow flow) => EchoService.OnFlowComplete(flow);

    void ISessionHandler.OnAddressChanged(Session session, SocketAddress newAddress) =>
        _log.Debug("session {0:x8} moved to {1}", _sessionId, newAddress);
}
