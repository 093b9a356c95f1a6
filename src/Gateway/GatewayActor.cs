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
            var entry = _gateway.Cache.Set(opened.SessionId, opened.FarSessionId, opened.Crypto, _gateway.EndpointFor(opened.FarAddress));
            LearnSession(entry, Sender);
            _startup.OnSessionOpened(opened, _gateway.EndpointFor(opened.FarAddress));
        });
        Receive<SessionIdCollision>(c => _startup.OnCollision(c));
        Receive<SessionKeysReply>(r => LearnSession(_gateway.Cache.Set(r.SessionId, r.FarSessionId, r.Crypto, _gateway.EndpointFor(r.FarAddress)), Sender));
        Receive<UnknownSession>(u => _gateway.Cache.MarkUnknown(u.SessionId, Environment.TickCount64 + RtmfpGateway.UnknownSessionTtlMs));
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
            }
        });
        Receive<PeerRedirect>(SendRedirect);
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
