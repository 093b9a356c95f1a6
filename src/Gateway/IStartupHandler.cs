using System.Net;
using Rtmfp.Gateway.Transport;
using Rtmfp.Cluster;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Gateway;

/// <summary>The stateless handshake front: packets for session ID 0 (RFC 7016 §2.2.2) and the answers to OpenSession.</summary>
internal interface IStartupHandler
{
    /// <summary>An encrypted startup packet (after the scrambled session ID). Copy what you keep.</summary>
    void OnStartupPacket(UdpEndpoint endpoint, ReadOnlySpan<byte> encryptedPacket, SocketAddress from);

    /// <summary>The session entity accepted an OpenSession: send its RIKeying.</summary>
    void OnSessionOpened(SessionOpened opened, UdpEndpoint? endpoint);

    /// <summary>
    /// The endpoint the IIKeying of <paramref name="sessionId"/>'s handshake under way arrived on, or null: its RIKeying
    /// and the session's first packets leave from it (a node may serve several endpoints of one address family).
    /// </summary>
    UdpEndpoint? ArrivalOf(uint sessionId) => null;

    /// <summary>The derived session ID belongs to another initiator: retry with the next probe.</summary>
    void OnCollision(SessionIdCollision collision);

    /// <summary>The entity of <paramref name="sessionId"/> answered this gateway through the session region.</summary>
    void OnEntityAnswered(uint sessionId, Akka.Actor.IActorRef entity)
    {
    }

    /// <summary>A cluster member became unreachable or was removed.</summary>
    void OnMemberLost()
    {
    }

    /// <summary>The session is closed: it no longer counts against its source.</summary>
    void OnSessionClosed(uint sessionId)
    {
    }

    /// <summary>A rendezvous answer (RFC 7016 §3.5.1.6) for an initiator: send its Redirect, session ID 0 under the default key.</summary>
    void OnPeerRedirect(PeerRedirect redirect, UdpEndpoint endpoint, RtmfpMetrics metrics) =>
        Handshake.StartupSender.Send(endpoint, redirect.StartupPacket, 0, redirect.To, metrics);
}
