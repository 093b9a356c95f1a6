using System.Diagnostics;
using Rtmfp.Client.Peer;
using Rtmfp.Engine;
using Rtmfp.Engine.Handshake;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Client;

// Direct peer-to-peer sessions (RFC 7425 §5.4) hosted on this connection's socket: the address the server
// hands to initiators in its Redirect and names in its FIHello, so sessions we answer must use it.
public sealed partial class RtmfpConnection
{
    private readonly RtmfpConnection? _host;
    private PeerHost? _peerHost;

    /// <summary>A responder session opened by a peer's IIKeying on <paramref name="host"/>'s socket.</summary>
    private RtmfpConnection(RtmfpConnection host, HandshakeResult result)
    {
        _loop = host._loop;
        _ownsLoop = false;
        Options = host.Options;
        _profile = host._profile;
        _ownsProfile = false;
        _epd = [];
        _nearSessionId = result.NearSessionId;
        _host = host;
        OpeningResult = result;
    }

    /// <summary>True for a session a peer opened to us (we answered as responder, RFC 7016 §3.5.1.1.2).</summary>
    public bool IsResponder => _host is not null;

    /// <summary>Our identity (shared by the direct sessions we open or answer: one peer ID).</summary>
    internal FlashCryptoProfile Profile => _profile;

    internal RtmfpEventLoop Loop => _loop;

    internal PeerHost? PeerHost => _peerHost;

    /// <summary>Responder sessions: the handshake that opened them (to recognise a retransmitted IIKeying).</summary>
    internal HandshakeResult? OpeningResult { get; }

    internal bool IsOpen => _state == RtmfpConnectionState.Open;

    /// <summary>Loop thread: starts answering peers on our socket (idempotent).</summary>
    internal PeerHost EnablePeerHosting(Func<ReadOnlyMemory<byte>, bool>? accept)
    {
        Debug.Assert(_loop.IsLoopThread);
        _peerHost ??= new PeerHost(this, new PeerResponder(_profile), accept);
        return _peerHost;
    }

    /// <summary>Loop thread: a session a peer opened, on <paramref name="host"/>'s socket.</summary>
    internal static RtmfpConnection CreateHosted(RtmfpConnection host, HandshakeResult result, long now)
    {
        var connection = new RtmfpConnection(host, result)
        {
            FarSessionId = result.FarSessionId,
            FarPeerId = result.FarPeerId.ToArray(),
            Group = result.Keying.Group,
            Verification = result.Keying.Verification,
            NearNonce = result.Keying.Keys.NearNonce,
            FarNonce = result.Keying.Keys.FarNonce,
        };
        connection._crypto = result.CreateCryptoContext();
        connection._localEndPoint = host._localEndPoint;
        connection._remoteEndPoint = ToEndPoint(result.FarAddress);
        connection._session = new Session(SessionRole.Responder, result.FarAddress, new Handler(connection), now, host.Options.Session);
        connection.Become(RtmfpConnectionState.Open);
        connection._loop.OnConnectionAdded();
        connection._connectTcs.TrySetResult(connection);
        connection.MarkDirty();
        return connection;
    }

    /// <summary>Loop thread: abrupt close (one Close Acknowledgement while the socket is still there).</summary>
    internal void AbortHosted() => AbortOnLoop();

    /// <summary>Loop thread: the loop is going away.</summary>
    internal void StopHosted() => OnLoopStopped();
}
