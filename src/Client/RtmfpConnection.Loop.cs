using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Rtmfp.Engine;
using Rtmfp.Engine.Handshake;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Client;

// Everything here runs on the loop thread.
public sealed partial class RtmfpConnection
{
    /// <summary>Our Ping messages: this prefix and an 8-byte counter (never the engine's 25-byte 'M' mobility check).</summary>
    private static ReadOnlySpan<byte> PingPrefix => "CLP"u8;
    private const int PingMessageLength = 3 + 8;
    private const int MaxPendingPings = 256;
    private const int MaxPacketsPerPump = 4096;

    private readonly Dictionary<ulong, (TaskCompletionSource<TimeSpan> Done, long Start)> _pings = new();
    private readonly List<RtmfpFlow> _flows = new();
    private readonly List<RtmfpFlow> _watchedFlows = new();
    private Socket? _socket;
    private bool _dualMode;
    private InitiatorHandshake? _handshake;
    private Session? _session;
    private Shared.Crypto.SessionCryptoContext? _crypto;
    private long _handshakeStart;
    private ulong _pingCounter;

    internal Socket? Socket => _socket;
    internal SocketAddress ReceiveAddress { get; private set; } = new(AddressFamily.InterNetwork);
    internal bool IsDirty { get; set; }
    internal long ScheduledMs { get; set; } = long.MaxValue;

    internal void MarkDirty() => _loop.MarkDirty(this);

    internal void WatchFlow(RtmfpFlow flow)
    {
        if (!_watchedFlows.Contains(flow))
        {
            _watchedFlows.Add(flow);
        }
    }

    private void Start(IPEndPoint[] candidates)
    {
        if (_state != RtmfpConnectionState.Opening)
        {
            return; // cancelled before the loop got here
        }
        if (_loop.IsStopping)
        {
            FailConnect(RtmfpConnectFailure.Cancelled, "the event loop stopped");
            return;
        }
        var local = Options.LocalEndPoint;
        var family = local?.AddressFamily ?? candidates[0].AddressFamily;
        _dualMode = local is not null && family == AddressFamily.InterNetworkV6 && local.Address.Equals(IPAddress.IPv6Any);
        var usable = new List<SocketAddress>();
        foreach (var c in candidates)
        {
            if (c.AddressFamily == family)
            {
                usable.Add(c.Serialize());
            }
            else if (_dualMode && c.AddressFamily == AddressFamily.InterNetwork)
            {
                usable.Add(new IPEndPoint(c.Address.MapToIPv6(), c.Port).Serialize());
            }
        }
        if (usable.Count == 0)
        {
            FailConnect(RtmfpConnectFailure.Socket, $"no candidate address of the local socket's family {family}");
            return;
        }
        try
        {
            var bind = local ?? new IPEndPoint(family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
            AttachSocket(CreateSocket(bind, _dualMode));
        }
        catch (SocketException e)
        {
            FailConnect(RtmfpConnectFailure.Socket, $"cannot bind {local}: {e.Message}", e);
            return;
        }
        _loop.OnConnectionAdded();
        long now = MonotonicClock.NowMs;
        _handshakeStart = Stopwatch.GetTimestamp();
        _handshake = new InitiatorHandshake(_profile, _epd, _nearSessionId, usable, now);
        MarkDirty();
    }

    private static Socket CreateSocket(IPEndPoint bind, bool dualMode)
    {
        var socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (dualMode)
            {
                socket.DualMode = true;
            }
            socket.Bind(bind);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void AttachSocket(Socket socket)
    {
        _socket = socket;
        ReceiveAddress = new SocketAddress(socket.AddressFamily);
        _localEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _loop.Register(socket, this);
    }

    private void DetachSocket()
    {
        if (_socket is { } socket)
        {
            _loop.Unregister(socket);
            socket.Dispose();
            _socket = null;
        }
    }

    // ---------------------------------------------------------------- receive

    internal void OnDatagram(ReadOnlySpan<byte> datagram, SocketAddress from, long now)
    {
        if (datagram.Length < PacketLimits.MinFlashDatagramLength || !Multiplex.TryUnscrambleSessionId(datagram, out uint sessionId))
        {
            return;
        }
        if (_peerHost is { } peers && _session is not null && sessionId != _nearSessionId)
        {
            peers.OnDatagram(sessionId, datagram, from, now); // a peer's handshake or a hosted peer session
            return;
        }
        var encrypted = datagram[PacketLimits.SessionIdLength..];
        var plain = _loop.PlainBuffer;
        if (_session is { } session)
        {
            if (sessionId != _nearSessionId || !_crypto!.TryDecrypt(encrypted, plain, out int offset, out int length))
            {
                return;
            }
            var packet = plain.AsSpan(offset, length);
            if (_pings.Count > 0)
            {
                MatchPingReplies(packet);
            }
            session.Receive(packet, from, now);
            if (session.State == SessionState.Closed)
            {
                // Ended while handling the far end's packet (its abrupt Close Acknowledgement, RFC 7016 §3.5.5): the far end's close.
                OnSessionClosed(RtmfpCloseReason.RemoteClose);
            }
            MarkDirty();
        }
        else if (_handshake is { } handshake)
        {
            if ((sessionId != 0 && sessionId != _nearSessionId) || !_loop.DefaultContext.TryDecrypt(encrypted, plain, out int offset, out int length))
            {
                return;
            }
            if (handshake.Receive(plain.AsSpan(offset, length), sessionId, from, now))
            {
                MarkDirty();
            }
        }
    }

    private void MatchPingReplies(ReadOnlySpan<byte> packet)
    {
        if (!PlainPacket.TryRead(packet, out _, out var chunks))
        {
            return;
        }
        foreach (var chunk in chunks)
        {
            if (chunk.Type == ChunkType.PingReply && chunk.Payload.Length == PingMessageLength && chunk.Payload.StartsWith(PingPrefix))
            {
                ulong id = BinaryPrimitives.ReadUInt64BigEndian(chunk.Payload[PingPrefix.Length..]);
                if (_pings.Remove(id, out var ping))
                {
                    ping.Done.TrySetResult(Stopwatch.GetElapsedTime(ping.Start));
                }
            }
        }
    }

    // ---------------------------------------------------------------- send

    /// <summary>Sends what the handshake or the session has due, then re-arms the timer.</summary>
    internal void Pump(long now)
    {
        if (_state == RtmfpConnectionState.TornDown)
        {
            return;
        }
        if (_handshake is { } handshake)
        {
            while (handshake.TryBuildPacket(now, out var startup))
            {
                SendStartup(startup);
            }
            switch (handshake.State)
            {
                case InitiatorState.Open:
                    OpenSession(handshake, now);
                    break;
                case InitiatorState.OpenFailed:
                    FailConnect(handshake.Failure == OpenFailure.Timeout ? RtmfpConnectFailure.Timeout : RtmfpConnectFailure.HandshakeFailed,
                        $"handshake failed: {handshake.Failure}");
                    return;
                default:
                    _loop.Schedule(this, handshake.NextWakeupMs);
                    return;
            }
        }
        if (_session is not { } session)
        {
            return;
        }
        var plain = _loop.PlainBuffer;
        for (int i = 0; i < MaxPacketsPerPump && session.TryBuildPacket(plain, now, out int length, out var to); i++)
        {
            SendSession(plain.AsSpan(0, length), to);
        }
        _smoothedRttMs = session.Rto.SrttMs;
        for (int i = _watchedFlows.Count - 1; i >= 0; i--)
        {
            if (!_watchedFlows[i].ReleaseWaiters())
            {
                _watchedFlows.RemoveAt(i);
            }
        }
        if (session.State == SessionState.Closed)
        {
            OnSessionClosed(RtmfpCloseReason.IdleTimeout); // the engine's own timers ended it
            Teardown(_closeReason);
            return;
        }
        long next = session.NextWakeupMs(now);
        _loop.Schedule(this, next <= now ? now + 1 : next);
    }

    internal void SendStartup(OutgoingStartupPacket startup)
    {
        int length = StartupDatagram.Write(startup.Packet, startup.SessionId, _loop.SendBuffer);
        SendTo(_loop.SendBuffer.AsSpan(0, length), startup.Destination);
    }

    private void SendSession(ReadOnlySpan<byte> plain, SocketAddress to)
    {
        var buffer = _loop.SendBuffer;
        int length = _crypto!.Encrypt(plain, buffer.AsSpan(PacketLimits.SessionIdLength));
        var datagram = buffer.AsSpan(0, PacketLimits.SessionIdLength + length);
        Multiplex.ScrambleSessionId(datagram, FarSessionId);
        SendTo(datagram, to);
    }

    private void SendTo(ReadOnlySpan<byte> datagram, SocketAddress to)
    {
        if ((_host?._socket ?? _socket) is not { } socket || to.Family != socket.AddressFamily)
        {
            return; // e.g. an IPv6 Redirect destination on an IPv4 socket
        }
        try
        {
            socket.SendTo(datagram, SocketFlags.None, to);
        }
        catch (SocketException)
        {
            // UDP: a failed send is a lost packet; the engine retransmits.
        }
    }

    private void OpenSession(InitiatorHandshake handshake, long now)
    {
        var result = handshake.Result!;
        _crypto = result.CreateCryptoContext();
        FarSessionId = result.FarSessionId;
        FarPeerId = result.FarPeerId.ToArray();
        Group = result.Keying.Group;
        Verification = result.Keying.Verification;
        NearNonce = result.Keying.Keys.NearNonce;
        FarNonce = result.Keying.Keys.FarNonce;
        HandshakeTime = Stopwatch.GetElapsedTime(_handshakeStart);
        _remoteEndPoint = ToEndPoint(result.FarAddress);
        _session = new Session(SessionRole.Initiator, result.FarAddress, new Handler(this), now, Options.Session);
        handshake.Dispose();
        _handshake = null;
        Become(RtmfpConnectionState.Open);
        _connectTcs.TrySetResult(this);
    }

    internal static IPEndPoint? ToEndPoint(SocketAddress address)
    {
        try
        {
            return (IPEndPoint)new IPEndPoint(address.Family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0).Create(address);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    // ---------------------------------------------------------------- commands

    private void OpenFlowOnLoop(RtmfpFlow flow)
    {
        if (_state != RtmfpConnectionState.Open)
        {
            flow.FailOpen(new InvalidOperationException("the session is not open"));
            return;
        }
        flow.Open(_session!);
        _flows.Add(flow);
        MarkDirty();
    }

    private void StartPing(TaskCompletionSource<TimeSpan> done)
    {
        if (_state != RtmfpConnectionState.Open)
        {
            done.TrySetException(new InvalidOperationException("the session is not open"));
            return;
        }
        if (_pings.Count >= MaxPendingPings)
        {
            foreach (var (id, ping) in _pings)
            {
                if (ping.Done.Task.IsCompleted)
                {
                    _pings.Remove(id); // cancelled by the caller; allowed while enumerating since .NET Core 3.0
                }
            }
            if (_pings.Count >= MaxPendingPings)
            {
                done.TrySetException(new InvalidOperationException("too many pings outstanding"));
                return;
            }
        }
        ulong pingId = ++_pingCounter;
        _pings[pingId] = (done, Stopwatch.GetTimestamp());
        SendPing(pingId, MonotonicClock.NowMs);
    }

    /// <summary>A packet of our own with one Ping chunk, beside the engine's packets (same keys and session ID).</summary>
    private void SendPing(ulong id, long now)
    {
        Span<byte> message = stackalloc byte[PingMessageLength];
        PingPrefix.CopyTo(message);
        BinaryPrimitives.WriteUInt64BigEndian(message[PingPrefix.Length..], id);
        Span<byte> plain = stackalloc byte[PacketLimits.MaxPacketHeaderLength + PacketLimits.ChunkHeaderLength + PingMessageLength];
        var writer = new WireWriter(plain);
        new PacketHeader(_host is null ? PacketMode.InitiatorMark : PacketMode.ResponderMark, Timestamp.FromMilliseconds(now)).Write(ref writer);
        PingChunk.Write(ref writer, new PingChunk(message));
        SendSession(writer.Written, _session!.FarAddress);
    }

    private void MoveOnLoop(TaskCompletionSource<IPEndPoint> done)
    {
        if (_state != RtmfpConnectionState.Open || _socket is null)
        {
            done.TrySetException(new InvalidOperationException("the session is not open"));
            return;
        }
        Socket replacement;
        try
        {
            replacement = CreateSocket(new IPEndPoint(_localEndPoint!.Address, 0), _dualMode);
        }
        catch (SocketException e)
        {
            done.TrySetException(e);
            return;
        }
        DetachSocket();
        AttachSocket(replacement);
        // Anything from the new address makes the far end verify it (RFC 7016 §3.5.4.2).
        SendPing(0, MonotonicClock.NowMs);
        MarkDirty();
        done.TrySetResult(_localEndPoint!);
    }

    // ---------------------------------------------------------------- engine callbacks

    private sealed class Handler(RtmfpConnection connection) : ISessionHandler
    {
        public void OnFlowOpened(Session session, RecvFlow flow)
        {
            if (flow.Association?.Tag is RtmfpFlow ours)
            {
                flow.Tag = ours;
                return;
            }
            var incoming = new RtmfpIncomingFlow(flow.FlowId, flow.Metadata.ToArray(), flow.ReturnAssociation);
            flow.Tag = incoming;
            connection._incoming.Writer.TryWrite(incoming);
        }

        public void OnMessage(Session session, RecvFlow flow, ReadOnlySpan<byte> message) =>
            (flow.Tag as IMessageSink)?.Deliver(message.ToArray());

        public void OnFlowComplete(Session session, RecvFlow flow) => (flow.Tag as IMessageSink)?.OnReceiveFlowComplete();

        public void OnFlowException(Session session, SendFlow flow, ulong exceptionCode) => (flow.Tag as RtmfpFlow)?.OnRejected(exceptionCode);

        public void OnStateChanged(Session session, SessionState state) => connection.OnStateChanged(state);

        public void OnAddressChanged(Session session, SocketAddress newAddress) => connection._remoteEndPoint = ToEndPoint(newAddress);

        // RFC 7016 §3.5.1.5: an FIHello forwarded by the server for a peer that wants a direct session.
        public void OnOtherChunk(Session session, byte chunkType, ReadOnlySpan<byte> payload) =>
            connection._peerHost?.OnOtherChunk(chunkType, payload, MonotonicClock.NowMs);
    }
}
