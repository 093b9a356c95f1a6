using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using Akka.Actor;
using Akka.Event;
using Rtmfp.Cluster;
using Rtmfp.Engine;
using Rtmfp.Flash;
using Rtmfp.Sessions.Rendezvous;
using Rtmfp.Sessions.Rtmfp;
using Rtmfp.Sessions.Streams;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Shared.Wire;
using Address = Rtmfp.Shared.Wire.Address;

namespace Rtmfp.Sessions;

// The Flash services of a session (streams, rendezvous) and the engine's callbacks.
internal sealed partial class SessionActor
{
    // ---------------------------------------------------------------- Flash

    private void StartFlash(FlashServices flash, Session engine)
    {
        var self = Self;
        if (flash.StreamRegion?.Invoke() is { } streams)
        {
            _relay = _clusterRelay = new ClusterStreamRelay(streams, self, fanout: flash.StreamFanout?.Hub);
            OpenStreamPort(flash.StreamFanout);
            _streamWatch = new SessionStreamWatch(_clusterRelay, Timers, Context.Watch);
        }
        else
        {
            _relay = new StreamRelay();
        }
        // The session's own peer directory comes with its Flash services, not with every session (issue 9).
        var localPeers = new PeerDirectory { ApplicationFailed = ApplicationFailed };
        _rendezvous = new SessionRendezvous(flash.PeerDirectory?.Invoke(), localPeers);
        var options = flash.ConnectionOptions with
        {
            Dispatch = action => self.Tell(new RunContinuation(action)),
            ApplicationFailed = ApplicationFailed,
            Metrics = _metrics,
        };
        var open = _open!;
        PeerId? peerId = PeerId.TryCreate(open.FarPeerId, out var id) ? id : null;
        string? uri = EndpointDiscriminator.TryParse(open.EndpointDiscriminator, out var epd) && epd.HasAncillaryData
            ? System.Text.Encoding.UTF8.GetString(epd.AncillaryData)
            : null;
        Address.TryFromSocketAddress(engine.FarAddress, AddressOrigin.Observed, out var observed);
        // Unique across the cluster (it names the publisher of a stream), and the same for every incarnation of the
        // session (a resumed publisher is the publisher it was): the session ID and 31 bits of its cookie (an HMAC).
        long random = BinaryPrimitives.ReadInt32BigEndian(open.Cookie.AsSpan(open.Cookie.Length - 4)) & int.MaxValue;
        var endpoint = new FlashEndpointInfo((random << 32) | _sessionId,
            observed, uri, peerId, self);
        var relay = _relay;
        _adapter = new RtmfpFlashAdapter(engine,
            output => new NetConnection(endpoint, output, flash.Applications, relay, localPeers, options),
            () => Now, flash.AdapterOptions);
    }

    /// <summary>An application callback threw and the connection carried on: counted and logged (any thread).</summary>
    private void ApplicationFailed(Exception exception)
    {
        _metrics?.HandlerFailed(HandlerFailureSites.Application);
        Log.Error(exception, "session {0:x8}: the application failed", _sessionId);
    }

    private void LeaveCluster()
    {
        _rendezvous?.Leave();
        CloseStreamPort();
        _clusterRelay?.LeaveAll();
        _groups?.LeaveAll();
        _seedPeer?.Leave();
    }

    /// <summary>RFC 7016 §3.5.1.6: the gateway (the sender) redirects the initiator; our client gets an FIHello.</summary>
    private void OnLookupPeer(LookupPeer lookup)
    {
        long now = Now;
        if (_engine is { State: SessionState.Open } engine && _rendezvous is not null
            && _rendezvous.TryAnswer(lookup, _adapter?.Connection, now, out var redirect, out var introduction))
        {
            Sender.Tell(new PeerRedirect(redirect, lookup.Initiator));
            SendForwardedHello(engine, introduction, lookup.Tag, now);
        }
    }

    // The engine has no API for a stray chunk: one plain packet with just the FIHello, numbered like the others.
    private void SendForwardedHello(Session engine, PeerIntroduction introduction, ReadOnlySpan<byte> tag, long now)
    {
        if (_gateway.IsNobody())
        {
            return;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(PacketBufferSize);
        var writer = new WireWriter(buffer.AsSpan(0, PacketBufferSize));
        new PacketHeader(PacketMode.ResponderMark, Timestamp.FromMilliseconds(now)).Write(ref writer);
        introduction.WriteForwardedHello(ref writer, tag);
        _gateway.Tell(new OutboundPacket(_sessionId, _open!.FarSessionId, buffer, writer.Position, NextSendSequence(), Stable(engine.FarAddress)));
    }

    // ---------------------------------------------------------------- ISessionHandler

    void ISessionHandler.OnFlowOpened(Session session, RecvFlow flow) => EnsureServices().OnFlowOpened(flow);

    void ISessionHandler.OnMessage(Session session, RecvFlow flow, ReadOnlySpan<byte> message) => _flows?.OnMessage(flow, message);

    void ISessionHandler.OnFlowComplete(Session session, RecvFlow flow) => _flows?.OnFlowComplete(flow);

    void ISessionHandler.OnFlowException(Session session, SendFlow flow, ulong exceptionCode) => _flows?.OnFlowException(flow);

    void ISessionHandler.OnStateChanged(Session session, SessionState state)
    {
        if (state != SessionState.Open)
        {
            UncountOpen();
            _adapter?.OnSessionClosing();
        }
    }

    void ISessionHandler.OnAddressChanged(Session session, SocketAddress newAddress)
    {
        Log.Debug("session {0:x8} moved to {1}", _sessionId, newAddress);
        _adapter?.OnAddressChanged(newAddress);
        _addressChanged = true; // on record with the next engine call
    }
}
