using System.Buffers;
using Akka.Actor;
using Akka.Event;
using Rtmfp.Gateway.Handshake;
using Rtmfp.Gateway.Transport;
using Rtmfp.Cluster;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Gateway;

/// <summary>
/// The gateway's mailbox for what sessions say: encrypt and send their packets, cache keys,
/// forget closed sessions, and pass handshake answers to the handshake front.
/// </summary>
internal sealed class GatewayActor : ReceiveActor, IWithTimers
{
    /// <summary>RFC 7016 §3.5.5.2: a far-closed session lingers at least 19 s answering retransmitted Close Requests.</summary>
    internal static readonly TimeSpan FarCloseLinger = TimeSpan.FromSeconds(19);

    /// <summary>One sweep takes every linger that ends within this of the first: ends a few ms apart cost one message.</summary>
    private const long SweepSlackMs = 250;

    private readonly RtmfpGateway _gateway;
    private readonly IReadOnlyList<UdpEndpoint> _endpoints;
    private readonly IStartupHandler _startup;
    private readonly RtmfpMetrics _metrics;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private readonly long _lingerMs;

    /// <summary>Far-closed sessions in the order their linger ends (all linger as long): the keys go when it has.</summary>
    private readonly Queue<(SessionKeyCache.Entry Entry, long UntilMs)> _lingering = new();
    private bool _sweepArmed;

    public ITimerScheduler Timers { get; set; } = null!;

    public GatewayActor(RtmfpGateway gateway, IReadOnlyList<UdpEndpoint> endpoints, IStartupHandler startup, RtmfpMetrics metrics,
        TimeSpan? farCloseLinger = null)
    {
        _lingerMs = (long)(farCloseLinger ?? FarCloseLinger).TotalMilliseconds;
        _gateway = gateway;
        _endpoints = endpoints;
        _startup = startup;
        _metrics = metrics;

        Receive<OutboundPacket>(Send);
        Receive<SessionOpened>(opened =>
        {
            // The RIKeying leaves from the endpoint the IIKeying came to: the first of the family may be another address
            // (a node serving 127.0.0.1 and a public address), whose socket cannot reach the client.
            var endpoint = _startup.ArrivalOf(opened.SessionId) ?? _gateway.EndpointFor(opened.FarAddress);
            var entry = _gateway.Cache.Set(opened.SessionId, opened.FarSessionId, opened.Crypto, endpoint);
            LearnSession(entry, Sender);
            _gateway.ReleaseAwaiting(opened.SessionId);
            _startup.OnEntityAnswered(opened.SessionId, Sender);
            _startup.OnSessionOpened(opened, endpoint);
        });
        Receive<SessionIdCollision>(c => _startup.OnCollision(c));
        Receive<SessionKeysReply>(r =>
        {
            LearnSession(_gateway.Cache.Set(r.SessionId, r.FarSessionId, r.Crypto, _gateway.EndpointFor(r.FarAddress)), Sender);
            // What arrived before the keys (a client new to this gateway) goes on now (AwaitingKeys).
            _gateway.ReleaseAwaiting(r.SessionId);
            _startup.OnEntityAnswered(r.SessionId, Sender);
        });
        Receive<UnknownSession>(OnUnknownSession);
        Receive<SessionClosed>(OnSessionClosed);
        Receive<SessionLingering>(OnSessionLingering);
        Receive<SweepLingering>(_ => Sweep());
        Receive<Terminated>(t =>
        {
            // The entity moved or stopped: route through the shard region again until its next answer.
            if (_watched.Remove(t.ActorRef, out uint sessionId) && _gateway.Cache.TryGet(sessionId, out var entry)
                && t.ActorRef.Equals(entry.Session))
            {
                entry.Session = null;
                // Wake it on its next node now (the region holds the request until the shard has a home again): a client
                // that only receives (a player) may not send for many seconds, and the resumed session sends first.
                // Without a record the answer is UnknownSession and the client hears a Close Request at once.
                _gateway.FetchKeys(sessionId);
                // What arrived while its node was unreachable follows the wake-up, through the region (HeldPackets).
                ReleaseHold(entry, _gateway.SessionRegion);
            }
        });
        Receive<PeerRedirect>(SendRedirect);
        Receive<NodeReachability>(OnNodeReachability);
        Receive<Akka.Cluster.ClusterEvent.UnreachableMember>(m =>
        {
            _startup.OnMemberLost();
            OnNodeReachability(new NodeReachability(m.Member.Address, Reachable: false));
        });
        Receive<Akka.Cluster.ClusterEvent.ReachableMember>(m => OnNodeReachability(new NodeReachability(m.Member.Address, Reachable: true)));
        Receive<Akka.Cluster.ClusterEvent.MemberRemoved>(m => OnNodeRemoved(new NodeRemoved(m.Member.Address)));
        Receive<NodeRemoved>(OnNodeRemoved);
    }

    private void OnUnknownSession(UnknownSession unknown)
    {
        _gateway.DiscardAwaiting(unknown.SessionId);
        if (_gateway.Cache.TryGet(unknown.SessionId, out var entry))
        {
            if (entry.IsLingering)
            {
                return; // closed already: its client has had its Close Acknowledgement
            }
            CloseLostSession(entry);
        }
        _gateway.Cache.MarkUnknown(unknown.SessionId, Environment.TickCount64 + RtmfpGateway.UnknownSessionTtlMs);
    }

    private void OnSessionClosed(SessionClosed closed)
    {
        if (_gateway.Cache.TryGet(closed.SessionId, out var entry) && entry.Session is { } session)
        {
            _watched.Remove(session);
            Context.Unwatch(session);
        }
        _gateway.Cache.Remove(closed.SessionId);
        _startup.OnSessionClosed(closed.SessionId);
    }

    /// <summary>
    /// The far end closed the session and its entity stopped at once (RFC 7016 §3.5.5.2): the linger is kept here, with
    /// the keys (RtmfpGateway answers retransmitted Close Requests), instead of in a session actor for 19 s.
    /// </summary>
    private void OnSessionLingering(SessionLingering lingering)
    {
        if (_gateway.Cache.TryGet(lingering.SessionId, out var entry) && !entry.IsLingering)
        {
            if (entry.Session is { } session && _watched.Remove(session))
            {
                Context.Unwatch(session);
            }
            entry.BeginLinger(lingering.NextSequenceNumber);
            _lingering.Enqueue((entry, Environment.TickCount64 + _lingerMs));
            ArmSweep();
        }
        _startup.OnSessionClosed(lingering.SessionId);
    }

    /// <summary>Forgets the keys of every session whose linger has ended.</summary>
    private void Sweep()
    {
        _sweepArmed = false;
        long now = Environment.TickCount64;
        while (_lingering.TryPeek(out var head) && head.UntilMs <= now)
        {
            _lingering.Dequeue();
            // Only that entry: the ID may serve a new session by now (SessionKeyCache.Set replaces a lingering entry).
            _gateway.Cache.Remove(head.Entry);
        }
        ArmSweep();
    }

    private void ArmSweep()
    {
        if (_sweepArmed || !_lingering.TryPeek(out var head))
        {
            return;
        }
        _sweepArmed = true;
        long delay = Math.Max(0, head.UntilMs - Environment.TickCount64) + SweepSlackMs;
        Timers.StartSingleTimer(SweepLingering.Instance, SweepLingering.Instance, TimeSpan.FromMilliseconds(delay));
    }

    private sealed class SweepLingering
    {
        public static readonly SweepLingering Instance = new();
    }

    /// <summary>A cluster member was removed (the cluster's event, or tests).</summary>
    internal sealed record NodeRemoved(Akka.Actor.Address Address);

    private void OnNodeRemoved(NodeRemoved removed)
    {
        _startup.OnMemberLost();
        // Key fetches that went to the removed node are lost; the region now keeps them until the new homes answer.
        _gateway.FetchAwaitingAgain();
    }

    /// <summary>A cluster member became unreachable, or reachable again (the cluster's events, or tests).</summary>
    internal sealed record NodeReachability(Akka.Actor.Address Address, bool Reachable);

    /// <summary>
    /// Unreachable: the sessions whose entity lives there hold their inbound packets (<see cref="HeldPackets"/>) until
    /// the entity is known dead (Terminated, after the node's removal) or the node is reachable again; then they go on.
    /// </summary>
    private void OnNodeReachability(NodeReachability change)
    {
        foreach (var (session, sessionId) in _watched)
        {
            if (!session.Path.Address.Equals(change.Address) || !_gateway.Cache.TryGet(sessionId, out var entry))
            {
                continue;
            }
            if (!change.Reachable)
            {
                entry.Hold ??= new HeldPackets(_gateway.Held);
            }
            else
            {
                ReleaseHold(entry, session);
            }
        }
    }

    private void ReleaseHold(SessionKeyCache.Entry entry, IActorRef target)
    {
        if (entry.Hold is { } hold)
        {
            entry.Hold = null;
            hold.Release(target, Self);
        }
    }

    /// <summary>Node losses steer new handshakes to shards with a known home for a while (AnsweringShards).</summary>
    protected override void PreStart()
    {
        if (Context.System is ExtendedActorSystem { Provider: Akka.Cluster.ClusterActorRefProvider })
        {
            Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, Akka.Cluster.ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
                typeof(Akka.Cluster.ClusterEvent.UnreachableMember), typeof(Akka.Cluster.ClusterEvent.ReachableMember),
                typeof(Akka.Cluster.ClusterEvent.MemberRemoved));
        }
    }

    protected override void PostStop()
    {
        if (Context.System is ExtendedActorSystem { Provider: Akka.Cluster.ClusterActorRefProvider })
        {
            Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
        }
    }

    private readonly Dictionary<IActorRef, uint> _watched = [];

    /// <summary>Inbound packets of the session go straight to the entity that answered, watched in case it stops.</summary>
    private void LearnSession(SessionKeyCache.Entry entry, IActorRef session)
    {
        if (session.IsNobody() || session.Equals(Context.System.DeadLetters) || session.Equals(entry.Session))
        {
            return;
        }
        if (entry.Session is { } previous && _watched.Remove(previous))
        {
            Context.Unwatch(previous);
        }
        entry.Session = session;
        _watched[session] = entry.SessionId;
        Context.Watch(session);
        // The entity answered from its new home: what was held for it goes there.
        ReleaseHold(entry, session);
    }

    /// <summary>
    /// A rendezvous answer from the target's session (RFC 7016 §3.5.1.6): the Responder Redirect goes to the
    /// initiator as a startup packet, session ID 0 under the default key (§2.2.2).
    /// </summary>
    private void SendRedirect(PeerRedirect redirect)
    {
        if (_gateway.EndpointFor(redirect.To) is { } endpoint)
        {
            _startup.OnPeerRedirect(redirect, endpoint, _metrics);
        }
    }

    /// <summary>
    /// The session's entity answered that it knows nothing of a session this gateway holds keys for: its state died
    /// with its node. Rather than leave the client to its idle timeout (Flash: about 2 minutes of silence), send it a
    /// Session Close Request under the keys we still have (RFC 7016 §3.5.5), so it reconnects at once, then forget the
    /// keys. The sequence number is one the session cannot have used (its own counter died with it; RFC 7425 §4.6.6).
    /// </summary>
    private void CloseLostSession(SessionKeyCache.Entry entry)
    {
        if (entry.LastFrom is { } to && (entry.Endpoint ?? _gateway.EndpointFor(to)) is { } endpoint)
        {
            _gateway.SendBareChunk(entry, ChunkType.SessionCloseRequest, LostSessionSequenceNumber, endpoint, to);
        }
        _metrics.SessionsLost.Add(1);
        _log.Info("session {0:x8}: its state is gone (its node left or died); sent the client a Close Request", entry.SessionId);
        if (entry.Session is { } session && _watched.Remove(session))
        {
            Context.Unwatch(session);
        }
        _gateway.Cache.Remove(entry.SessionId);
        _startup.OnSessionClosed(entry.SessionId);
    }

    /// <summary>Above any sequence number a session reaches (2^62), so the client's anti-replay window accepts it.</summary>
    internal const ulong LostSessionSequenceNumber = 1UL << 62;

    private void Send(OutboundPacket packet)
    {
        try
        {
            // A session closed while this packet was queued is handled inside: its keys are checked under the
            // encryption lock and a closed socket is caught where it is used.
            _gateway.Send(packet.SessionId, packet.FarSessionId, packet.Buffer.AsSpan(0, packet.Length), packet.SequenceNumber, packet.To);
            _gateway.Flush();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(packet.Buffer);
        }
    }
}
