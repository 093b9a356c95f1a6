using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Threading.Channels;
using Rtmfp.Engine.Handshake;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Client.Peer;

/// <summary>
/// The responder half of a client (RFC 7016 §3.5.1.1.2, RFC 7425 §5.4) on a server connection's socket:
/// answers IHello and the server's FIHello with RHello, IIKeying with RIKeying, and routes the packets of
/// the sessions it opened by their session ID. Loop thread only.
/// </summary>
internal sealed class PeerHost : IHandshakeSessionLookup
{
    private readonly RtmfpConnection _host;
    private readonly PeerResponder _responder;
    private readonly Func<ReadOnlyMemory<byte>, bool>? _accept;
    private readonly Dictionary<uint, RtmfpConnection> _sessions = new();
    private readonly Channel<RtmfpConnection> _incoming = Channel.CreateUnbounded<RtmfpConnection>(new UnboundedChannelOptions { SingleWriter = true });

    public PeerHost(RtmfpConnection host, PeerResponder responder, Func<ReadOnlyMemory<byte>, bool>? accept)
    {
        _host = host;
        _responder = responder;
        _accept = accept;
    }

    /// <summary>Sessions peers opened to us, as they open; completes when the host connection ends.</summary>
    public ChannelReader<RtmfpConnection> Incoming => _incoming.Reader;

    /// <summary>Peer sessions currently hosted.</summary>
    public int Count => _sessions.Count;

    /// <summary>IIKeyings refused by the application's filter (tests, diagnostics).</summary>
    public int Refused { get; private set; }

    public void OnDatagram(uint sessionId, ReadOnlySpan<byte> datagram, SocketAddress from, long now)
    {
        if (sessionId != 0)
        {
            if (_sessions.TryGetValue(sessionId, out var session))
            {
                session.OnDatagram(datagram, from, now);
            }
            return;
        }
        var plain = _host.Loop.PlainBuffer;
        if (!_host.Loop.DefaultContext.TryDecrypt(datagram[PacketLimits.SessionIdLength..], plain, out int offset, out int length)
            || !StartupPacket.TryRead(plain.AsSpan(offset, length), out var chunks))
        {
            return;
        }
        foreach (var chunk in chunks)
        {
            switch (chunk.Type)
            {
                case ChunkType.IHello:
                    // An initiator that got our address in a Redirect tries us directly (RFC 7016 §3.5.1.4).
                    if (_responder.TryAnswerIHello(chunk.Payload, from, now, out var rhello))
                    {
                        _host.SendStartup(rhello);
                    }
                    break;
                case ChunkType.IIKeying:
                    OnIIKeying(chunk.Payload, from, now);
                    break;
            }
        }
    }

    /// <summary>A chunk the server's session did not know: FIHello (RFC 7016 §3.5.1.5) → RHello to the reply address.</summary>
    public void OnOtherChunk(byte chunkType, ReadOnlySpan<byte> payload, long now)
    {
        if (chunkType == (byte)ChunkType.FIHello && _responder.TryAnswerFIHello(payload, now, out var rhello))
        {
            _host.SendStartup(rhello);
        }
    }

    private void OnIIKeying(ReadOnlySpan<byte> payload, SocketAddress from, long now)
    {
        var outcome = _responder.OnIIKeying(payload, from, now, NewSessionId(), this);
        switch (outcome.Disposition)
        {
            case IIKeyingDisposition.CookieChange:
            case IIKeyingDisposition.RetransmitRIKeying:
                _host.SendStartup(outcome.Packet!);
                break;
            case IIKeyingDisposition.Opened:
                var result = outcome.Result!;
                if (_accept is not null && !_accept(result.FarPeerId.ToArray()))
                {
                    Refused++; // silence: the initiator times out (RFC 7016 §3.5.1.1.2 lets a responder ignore)
                    return;
                }
                if (outcome.StaleSession is { } stale)
                {
                    // Session override (RFC 7425 §4.3.7): the peer restarted; its old session is dead.
                    if (_sessions.TryGetValue(stale.NearSessionId, out var old))
                    {
                        old.AbortHosted();
                    }
                }
                var session = RtmfpConnection.CreateHosted(_host, result, now);
                _sessions[result.NearSessionId] = session;
                _host.SendStartup(outcome.Packet!);
                _incoming.Writer.TryWrite(session);
                break;
        }
    }

    private uint NewSessionId()
    {
        Span<byte> bytes = stackalloc byte[4];
        while (true)
        {
            RandomNumberGenerator.Fill(bytes);
            uint id = BinaryPrimitives.ReadUInt32BigEndian(bytes);
            if (id != 0 && id != _host.NearSessionId && !_sessions.ContainsKey(id))
            {
                return id;
            }
        }
    }

    public void OnHostedClosed(RtmfpConnection session) => _sessions.Remove(session.NearSessionId);

    public void OnHostClosed()
    {
        foreach (var session in _sessions.Values.ToArray())
        {
            session.AbortHosted();
        }
        _sessions.Clear();
        _incoming.Writer.TryComplete();
    }

    public void OnLoopStopped()
    {
        foreach (var session in _sessions.Values.ToArray())
        {
            session.StopHosted();
        }
        _sessions.Clear();
        _incoming.Writer.TryComplete();
    }

    // Our own outgoing peer sessions use sockets of their own, so no glare is possible on this one.
    public InitiatorHandshake? FindOpeningTo(SocketAddress address) => null;

    public HandshakeResult? FindOpenAt(SocketAddress address)
    {
        foreach (var session in _sessions.Values)
        {
            if (session.OpeningResult is { } result && result.FarAddress.Equals(address) && session.IsOpen)
            {
                return result;
            }
        }
        return null;
    }
}
