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
internal sealed class GatewayActor : ReceiveActor
{
    private readonly RtmfpGateway _gateway;
    private readonly IReadOnlyList<UdpEndpoint> _endpoints;
    private readonly IStartupHandler _startup;
    private readonly RtmfpMetrics _metrics;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public GatewayActor(RtmfpGateway gateway, IReadOnlyList<UdpEndpoint> endpoints, IStartupHandler startup, RtmfpMetrics metrics)
    {
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
        Receive<UnknownSession>(u =>
        {
            _gateway.DiscardAwaiting(u.SessionId);
            if (_gateway.Cache.TryGet(u.SessionId, out var entry))
            {
                CloseLostSession(entry);
            }
            _gateway.Cache.MarkUnknown(u.SessionId, Environment.TickCount64 + RtmfpGateway.UnknownSessionTtlMs);
        });
        Receive<SessionClosed>(c =>
        {
            if (_gateway.Cache.TryGet(c.SessionId, out var entry) && entry.Session is { } session)
            {
                _watched.Remove(session);
                Context.Unwatch(session);
            }
            _gateway.Cache.Remove(c.SessionId);
            _startup.OnSessionClosed(c.SessionId);
        });
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
        if (entry.LastFrom is { } to)
        {
            Span<byte> plain = stackalloc byte[16];
            var writer = new WireWriter(plain);
            new PacketHeader(PacketMode.ResponderMark, Timestamp.FromMilliseconds(Environment.TickCount64)).Write(ref writer);
            writer.WriteByte((byte)ChunkType.SessionCloseRequest);
            writer.WriteUInt16(0);
            _gateway.Send(entry.SessionId, entry.FarSessionId, writer.Written, LostSessionSequenceNumber, to);
            _gateway.Flush();
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
