using System.Net;
using System.Net.Sockets;
using Rtmfp.Client;
using Rtmfp.Engine;
using Rtmfp.Gateway.Handshake;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Client.Tests;

/// <summary>
/// A one-thread RTMFP server on 127.0.0.1 for tests: the gateway's <see cref="HandshakeResponder"/> (Diffie-Hellman
/// inline), then an engine <see cref="Session"/> in the responder role per session, with the echo service's
/// behaviour (every message on an "echo…" flow comes back on a return flow). Optionally a pure redirector.
/// </summary>
internal sealed class FakeResponder : IDisposable
{
    private readonly Socket _socket;
    private readonly Thread _thread;
    private readonly HandshakeResponder? _responder;
    private readonly IPEndPoint[]? _redirectTo;
    private readonly Dictionary<uint, ServerSession> _sessions = new();
    private readonly SessionCryptoContext _default = SessionCryptoContext.CreateDefault();
    private readonly byte[] _receive = new byte[PacketLimits.MaxDatagramLength];
    private readonly byte[] _plain = new byte[PacketLimits.MaxDatagramLength];
    private readonly byte[] _send = new byte[PacketLimits.MaxDatagramLength + SessionCryptoContext.MaxOverhead];
    private volatile bool _stop;
    private int _handshakes;
    private int _iikeyings;
    private int _addressChanges;
    private int _closedSessions;

    private readonly bool _rejectEcho;
    private readonly bool _answerNothing;

    private FakeResponder(FlashCryptoProfile? profile, IPEndPoint[]? redirectTo, bool rejectEcho = false, bool answerNothing = false)
    {
        _rejectEcho = rejectEcho;
        _answerNothing = answerNothing;
        Profile = profile;
        _redirectTo = redirectTo;
        if (profile is not null)
        {
            _responder = new HandshakeResponder(profile, new CookieJar(CookieJar.NewSecret(), TimeSpan.FromSeconds(60)), new EndpointDiscriminatorCache());
        }
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _thread = new Thread(Run) { IsBackground = true, Name = "fake-responder" };
        _thread.Start();
    }

    /// <param name="answerNothing">Flows other than echo and greet are accepted and never answered (a server that keeps
    /// the session alive but never answers a request).</param>
    public static FakeResponder Start(KeyingPolicy? policy = null, IEnumerable<DiffieHellmanGroup>? groups = null, bool rejectEcho = false,
        bool answerNothing = false) =>
        new(FlashCryptoProfile.CreateServer(policy, groups), null, rejectEcho, answerNothing);

    /// <summary>Answers every IHello with a Redirect to <paramref name="destinations"/> (RFC 7016 §2.3.5).</summary>
    public static FakeResponder Redirector(params IPEndPoint[] destinations) => new(null, destinations);

    public FlashCryptoProfile? Profile { get; }
    public IPEndPoint EndPoint { get; }
    public string Uri => $"rtmfp://127.0.0.1:{EndPoint.Port}/app";
    public int Handshakes => Volatile.Read(ref _handshakes);
    public int IIKeyings => Volatile.Read(ref _iikeyings);
    public int AddressChanges => Volatile.Read(ref _addressChanges);
    public int ClosedSessions => Volatile.Read(ref _closedSessions);

    /// <summary>Drop every datagram (a dead server).</summary>
    public volatile bool Silent;

    /// <summary>Close every open session in order (a server shutting down).</summary>
    public void CloseAllSessions() => _closeRequested = true;

    private volatile bool _closeRequested;

    private static long Now => MonotonicClock.NowMs;

    private void Run()
    {
        while (!_stop)
        {
            long now = Now;
            if (_closeRequested)
            {
                _closeRequested = false;
                foreach (var s in _sessions.Values)
                {
                    s.Session.Close(now);
                }
            }
            long next = now + 50;
            foreach (var s in _sessions.Values)
            {
                Pump(s, now);
                next = Math.Min(next, s.Session.NextWakeupMs(now));
            }
            int waitUs = (int)Math.Clamp(next - now, 0, 50) * 1000;
            try
            {
                if (!_socket.Poll(Math.Max(waitUs, 1000), SelectMode.SelectRead))
                {
                    continue;
                }
                var from = new SocketAddress(AddressFamily.InterNetwork);
                while (_socket.Available > 0)
                {
                    int n = _socket.ReceiveFrom(_receive, SocketFlags.None, from);
                    if (!Silent)
                    {
                        OnDatagram(_receive.AsSpan(0, n), from, Now);
                    }
                }
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }

    private void OnDatagram(ReadOnlySpan<byte> datagram, SocketAddress from, long now)
    {
        if (!Multiplex.TryUnscrambleSessionId(datagram, out uint sid))
        {
            return;
        }
        var encrypted = datagram[PacketLimits.SessionIdLength..];
        if (sid == 0)
        {
            if (!_default.TryDecrypt(encrypted, _plain, out int offset, out int length)
                || !StartupPacket.TryRead(_plain.AsSpan(offset, length), out var chunks))
            {
                return;
            }
            foreach (var chunk in chunks)
            {
                if (chunk.Type == ChunkType.IHello)
                {
                    OnIHello(chunk.Payload, from, now);
                }
                else if (chunk.Type == ChunkType.IIKeying && _responder is not null)
                {
                    OnIIKeying(chunk.Payload, from, now);
                }
            }
            return;
        }
        if (_sessions.TryGetValue(sid, out var s) && s.Crypto.TryDecrypt(encrypted, _plain, out int o, out int l))
        {
            s.Session.Receive(_plain.AsSpan(o, l), from, now);
            Pump(s, now);
        }
    }

    private void OnIHello(ReadOnlySpan<byte> payload, SocketAddress from, long now)
    {
        if (_redirectTo is not null)
        {
            if (!IHelloChunk.TryRead(payload, out var ihello))
            {
                return;
            }
            var destinations = _redirectTo.Select(e => Address.FromIPEndPoint(e)).ToArray();
            SendStartup(StartupPacketWriter.Redirect(now, ihello.Tag, destinations), 0, from);
            return;
        }
        var rhello = new byte[2048];
        if (_responder!.OnIHello(payload, from, now, rhello, out int written, out _) == IHelloDisposition.RHello)
        {
            SendStartup(rhello.AsSpan(0, written), 0, from);
        }
    }

    private void OnIIKeying(ReadOnlySpan<byte> payload, SocketAddress from, long now)
    {
        Interlocked.Increment(ref _iikeyings);
        foreach (var existing in _sessions.Values)
        {
            if (existing.Result.IsRetransmission(payload))
            {
                SendStartup(existing.Result.RIKeyingPacket, existing.Result.InitiatorSessionId, from);
                return;
            }
        }
        var reply = new byte[CookieChangeReply.MaxLength];
        var check = _responder!.OnIIKeying(payload, from, now, reply, out var cookieChange, out var job);
        if (check == IIKeyingCheck.CookieChange)
        {
            SendStartup(reply.AsSpan(0, cookieChange.Length), cookieChange.SessionId, from);
        }
        if (check != IIKeyingCheck.Accepted)
        {
            return;
        }
        var result = _responder.Complete(job!, now);
        if (result is null)
        {
            return;
        }
        var server = new ServerSession(this, result, from, now);
        _sessions[result.ResponderSessionId] = server;
        Interlocked.Increment(ref _handshakes);
        SendStartup(result.RIKeyingPacket, result.InitiatorSessionId, from);
    }

    private void SendStartup(ReadOnlySpan<byte> plain, uint sessionId, SocketAddress to)
    {
        int n = StartupDatagram.Write(plain, sessionId, _send);
        _socket.SendTo(_send.AsSpan(0, n), SocketFlags.None, to);
    }

    private void Pump(ServerSession s, long now)
    {
        while (s.Session.TryBuildPacket(_plain, now, out int length, out var to))
        {
            int n = s.Crypto.Encrypt(_plain.AsSpan(0, length), _send.AsSpan(PacketLimits.SessionIdLength));
            var datagram = _send.AsSpan(0, PacketLimits.SessionIdLength + n);
            Multiplex.ScrambleSessionId(datagram, s.Result.InitiatorSessionId);
            try
            {
                _socket.SendTo(datagram, SocketFlags.None, to);
            }
            catch (SocketException)
            {
            }
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        _socket.Dispose();
        _default.Dispose();
        foreach (var s in _sessions.Values)
        {
            s.Crypto.Dispose();
        }
        Profile?.Dispose();
    }

    /// <summary>One responder-role session with the echo service.</summary>
    private sealed class ServerSession : ISessionHandler
    {
        private readonly FakeResponder _owner;

        public ServerSession(FakeResponder owner, ResponderHandshakeResult result, SocketAddress client, long now)
        {
            _owner = owner;
            Result = result;
            Crypto = result.Keying.CreateCryptoContext();
            Session = new Session(SessionRole.Responder, client, this, now);
        }

        public ResponderHandshakeResult Result { get; }
        public SessionCryptoContext Crypto { get; }
        public Session Session { get; }

        public void OnFlowOpened(Session session, RecvFlow flow)
        {
            if (flow.Metadata.Span.StartsWith("echo"u8) && !_owner._rejectEcho)
            {
                flow.Tag = session.OpenFlow(flow.Metadata, flow);
            }
            else if (flow.Metadata.Span.SequenceEqual("greet"u8))
            {
                // A flow of the server's own, not associated with any of the client's.
                var greeting = session.OpenFlow("hello"u8.ToArray());
                greeting.Write("hi"u8.ToArray());
                greeting.Write("there"u8.ToArray());
                greeting.Close();
            }
            else if (!_owner._answerNothing)
            {
                flow.Reject(1);
            }
        }

        public void OnMessage(Session session, RecvFlow flow, ReadOnlySpan<byte> message) =>
            (flow.Tag as SendFlow)?.Write(message.ToArray());

        public void OnFlowComplete(Session session, RecvFlow flow) => (flow.Tag as SendFlow)?.Close();

        public void OnStateChanged(Session session, SessionState state)
        {
            if (state == SessionState.Closed)
            {
                Interlocked.Increment(ref _owner._closedSessions);
            }
        }

        public void OnAddressChanged(Session session, SocketAddress newAddress) => Interlocked.Increment(ref _owner._addressChanges);
    }
}
