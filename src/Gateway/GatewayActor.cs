using System.Buffers;
using Akka.Actor;
using Akka.Event;
using Rtmfp.Gateway.Transport;
using Rtmfp.Shared.Cluster;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Gateway;

/// <summary>
/// The gateway's mailbox for what sessions say: encrypt and send their packets, cache keys,
/// forget closed sessions, and pass handshake answers to the handshake front.
/// </summary>
public sealed class GatewayActor : ReceiveActor
{
    private readonly RtmfpGateway _gateway;
    private readonly IReadOnlyList<UdpEndpoint> _endpoints;
    private readonly IStartupHandler _startup;
    private readonly RtmfpMetrics _metrics;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly SessionCryptoContext _defaultContext = SessionCryptoContext.CreateDefault();

    public GatewayActor(RtmfpGateway gateway, IReadOnlyList<UdpEndpoint> endpoints, IStartupHandler startup, RtmfpMetrics metrics)
    {
        _gateway = gateway;
        _endpoints = endpoints;
        _startup = startup;
        _metrics = metrics;

        Receive<OutboundPacket>(Send);
        Receive<SessionOpened>(opened =>
        {
            _gateway.Cache.Set(opened.SessionId, opened.FarSessionId, opened.Crypto, EndpointFor(opened.FarAddress));
            _startup.OnSessionOpened(opened, EndpointFor(opened.FarAddress));
        });
        Receive<SessionIdCollision>(c => _startup.OnCollision(c));
        Receive<SessionKeysReply>(r => _gateway.Cache.Set(r.SessionId, r.FarSessionId, r.Crypto, EndpointFor(r.FarAddress)));
        Receive<UnknownSession>(u => _gateway.Cache.MarkUnknown(u.SessionId, Environment.TickCount64 + RtmfpGateway.UnknownSessionTtlMs));
        Receive<SessionClosed>(c => _gateway.Cache.Remove(c.SessionId));
        Receive<PeerRedirect>(SendRedirect);
    }

    /// <summary>
    /// A rendezvous answer from the target's session (RFC 7016 §3.5.1.6): the Responder Redirect goes to the
    /// initiator as a startup packet, session ID 0 under the default key (§2.2.2).
    /// </summary>
    private void SendRedirect(PeerRedirect redirect)
    {
        var endpoint = EndpointFor(redirect.To);
        if (endpoint is null || redirect.StartupPacket.Length > PacketLimits.MaxStartupPacketLength)
        {
            return;
        }
        var datagram = ArrayPool<byte>.Shared.Rent(4 + redirect.StartupPacket.Length + SessionCryptoContext.MaxOverhead);
        try
        {
            int n = _defaultContext.Encrypt(redirect.StartupPacket, datagram.AsSpan(4));
            var span = datagram.AsSpan(0, 4 + n);
            Multiplex.ScrambleSessionId(span, 0);
            endpoint.SendTo(span, redirect.To, _metrics);
        }
        catch (ObjectDisposedException)
        {
            // The gateway is stopping.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(datagram);
        }
    }

    protected override void PostStop()
    {
        _defaultContext.Dispose();
        base.PostStop();
    }

    private void Send(OutboundPacket packet)
    {
        byte[]? datagram = null;
        try
        {
            if (!_gateway.Cache.TryGet(packet.SessionId, out var entry))
            {
                // Keys were evicted (or another gateway opened the session): fetch them; the engine retransmits.
                _gateway.FetchKeys(packet.SessionId);
                return;
            }
            var endpoint = entry.Endpoint ?? EndpointFor(packet.To);
            if (endpoint is null)
            {
                return;
            }
            datagram = ArrayPool<byte>.Shared.Rent(4 + packet.Length + SessionCryptoContext.MaxOverhead);
            int length = entry.Crypto.Encrypt(packet.Buffer.AsSpan(0, packet.Length), datagram.AsSpan(4), packet.SequenceNumber);
            var span = datagram.AsSpan(0, 4 + length);
            Multiplex.ScrambleSessionId(span, packet.FarSessionId);
            endpoint.SendTo(span, packet.To, _metrics);
        }
        catch (ObjectDisposedException)
        {
            // The session closed while this packet was queued.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(packet.Buffer);
            if (datagram is not null)
            {
                ArrayPool<byte>.Shared.Return(datagram);
            }
        }
    }

    private UdpEndpoint? EndpointFor(System.Net.SocketAddress address)
    {
        foreach (var ep in _endpoints)
        {
            if (ep.AddressFamily == address.Family)
            {
                return ep;
            }
        }
        return _endpoints.Count > 0 ? _endpoints[0] : null;
    }
}
