using Rtmfp.Cluster;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Rtmfp.Engine;
using Rtmfp.Engine.Handshake;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Integration.Tests.Flash;

/// <summary>
/// A test-only Flash client over real UDP on 127.0.0.1: the engine's <see cref="InitiatorHandshake"/>, then an
/// engine <see cref="Session"/> with the negotiated <see cref="SessionCryptoContext"/>. Synchronous: every call
/// pumps the socket until its condition holds. Startup packets that arrive later (Redirects) are kept.
/// </summary>
public sealed class FlashUdpClient : ISessionHandler, IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly FlashCryptoProfile _profile = FlashCryptoProfile.CreateEphemeral();
    private readonly SessionCryptoContext _default = SessionCryptoContext.CreateDefault();
    private readonly byte[] _datagram = new byte[8192];
    private readonly byte[] _plain = new byte[8192];
    private readonly AmfReader _reader = new();
    private SessionCryptoContext? _crypto;
    private uint _sessionId;
    private uint _farSessionId;
    private double _nextTid = 2;

    public FlashUdpClient()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;
    public byte[] PeerId => _profile.PeerId.ToArray();
    public Session? Engine { get; private set; }
    public SendFlow? Control { get; private set; }
    public List<RecvFlow> Flows { get; } = [];
    public List<(RecvFlow Flow, byte[] Message)> Received { get; } = [];
    public List<(byte Type, byte[] Payload)> OtherChunks { get; } = [];
    /// <summary>Plain startup packets received with session ID 0 after the handshake (e.g. a Responder Redirect).</summary>
    public List<byte[]> StartupPackets { get; } = [];

    private static long Now => Environment.TickCount64;

    public void Open(IPEndPoint server, string uri, TimeSpan? timeout = null)
    {
        _sessionId = (uint)RandomNumberGenerator.GetInt32(1, int.MaxValue);
        using var handshake = new InitiatorHandshake(_profile, EndpointDiscriminator.CreateForUri(uri), _sessionId, [server.Serialize()], Now);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (handshake.Result is null)
        {
            Assert.True(DateTime.UtcNow < deadline, $"handshake did not complete ({handshake.State}, {handshake.Failure})");
            while (handshake.TryBuildPacket(Now, out var packet))
            {
                SendStartup(packet.Packet, packet.SessionId, packet.Destination);
            }
            if (TryReceive(10, out int length, out uint sid, out var from) && (sid == 0 || sid == _sessionId)
                && _default.TryDecrypt(_datagram.AsSpan(4, length - 4), _plain, out int offset, out int plainLength))
            {
                handshake.Receive(_plain.AsSpan(offset, plainLength), sid, from, Now);
            }
        }
        var result = handshake.Result;
        _crypto = result.CreateCryptoContext();
        _farSessionId = result.FarSessionId;
        Engine = new Session(SessionRole.Initiator, result.FarAddress, this, Now);
    }

    /// <summary>Opens the NetConnection flow and sends <c>connect</c>; returns once the answer came.</summary>
    public void Connect(string app, string tcUrl)
    {
        Control = Engine!.OpenFlow(new RtmpMetadata(0).ToArray());
        Control.Write(new Command("connect", 1, new AmfObject { ["app"] = app, ["tcUrl"] = tcUrl, ["objectEncoding"] = 3.0, ["flashVer"] = "WIN 32,0,0,114" }, []).ToMessage());
        Pump(() => Commands().Any(c => c.TransactionId == 1));
    }

    public uint CreateStream()
    {
        double tid = _nextTid++;
        Control!.Write(new Command("createStream", tid, AmfNull.Instance, []).ToMessage());
        Pump(() => Commands().Any(c => c.TransactionId == tid));
        return (uint)Commands().Single(c => c.TransactionId == tid).Argument(0)!.AsNumber!.Value;
    }

    /// <summary>A flow for a NetStream, associated with the server's control flow (RFC 7425 §5.3.5).</summary>
    public SendFlow OpenStreamFlow(uint streamId) => Engine!.OpenFlow(new RtmpMetadata(streamId).ToArray(), Flows[0]);

    public List<Command> Commands()
    {
        var list = new List<Command>();
        foreach (var (_, message) in Received)
        {
            if (RtmpMessage.TryRead(message, out var m) && m.Type is RtmpMessageType.CommandAmf0 or RtmpMessageType.CommandAmf3
                && Command.TryRead(m, _reader, out var c))
            {
                list.Add(c);
            }
        }
        return list;
    }

    public List<string> StatusCodes() =>
        [.. Commands().Select(c => NetStatus.TryReadInfo(c.Argument(0), out _, out var code, out _) ? code : null).OfType<string>()];

    public int Count(RtmpMessageType type) => Received.Count(r => r.Message.Length > 0 && r.Message[0] == (byte)type);

    /// <summary>Moves packets until <paramref name="until"/> holds; fails after <paramref name="seconds"/>.</summary>
    public void Pump(Func<bool> until, double seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!until())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            PumpOnce(10);
        }
    }

    /// <summary>Moves packets for a while, whatever happens.</summary>
    public void PumpFor(TimeSpan duration)
    {
        var end = DateTime.UtcNow + duration;
        while (DateTime.UtcNow < end)
        {
            PumpOnce(5);
        }
    }

    private void PumpOnce(int waitMs)
    {
        var engine = Engine!;
        Flush();
        while (TryReceive(waitMs, out int length, out uint sid, out var from))
        {
            waitMs = 0;
            if (sid == _sessionId && _crypto!.TryDecrypt(_datagram.AsSpan(4, length - 4), _plain, out int offset, out int plainLength))
            {
                engine.Receive(_plain.AsSpan(offset, plainLength), from, Now);
            }
            else if (sid == 0 && _default.TryDecrypt(_datagram.AsSpan(4, length - 4), _plain, out offset, out plainLength))
            {
                StartupPackets.Add(_plain.AsSpan(offset, plainLength).ToArray());
            }
        }
        engine.Tick(Now);
        Flush();
    }

    private void Flush()
    {
        var engine = Engine!;
        var plain = new byte[1500];
        while (engine.TryBuildPacket(plain, Now, out int n, out var to))
        {
            int length = _crypto!.Encrypt(plain.AsSpan(0, n), _datagram.AsSpan(4));
            Multiplex.ScrambleSessionId(_datagram.AsSpan(0, 4 + length), _farSessionId);
            _socket.SendTo(_datagram.AsSpan(0, 4 + length), SocketFlags.None, to);
        }
    }

    /// <summary>Sends a plain startup packet (session ID 0 or the far one) under the default key.</summary>
    public void SendStartup(byte[] plainPacket, uint sessionId, SocketAddress to)
    {
        var buffer = new byte[StartupDatagram.MaxLength];
        int n = StartupDatagram.Write(plainPacket, sessionId, buffer);
        _socket.SendTo(buffer.AsSpan(0, n), SocketFlags.None, to);
    }

    /// <summary>Waits for startup packets only (an initiator that never opens a session).</summary>
    public void PumpStartup(Func<bool> until, double seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!until())
        {
            Assert.True(DateTime.UtcNow < deadline, "no startup packet in time");
            if (TryReceive(10, out int length, out uint sid, out _) && sid == 0
                && _default.TryDecrypt(_datagram.AsSpan(4, length - 4), _plain, out int offset, out int plainLength))
            {
                StartupPackets.Add(_plain.AsSpan(offset, plainLength).ToArray());
            }
        }
    }

    private bool TryReceive(int waitMs, out int length, out uint sessionId, out SocketAddress from)
    {
        length = 0;
        sessionId = 0;
        from = new SocketAddress(AddressFamily.InterNetwork);
        if (!_socket.Poll(waitMs * 1000, SelectMode.SelectRead))
        {
            return false;
        }
        length = _socket.ReceiveFrom(_datagram, SocketFlags.None, from);
        return length > 4 && Multiplex.TryUnscrambleSessionId(_datagram.AsSpan(0, length), out sessionId);
    }

    public void OnFlowOpened(Session session, RecvFlow flow) => Flows.Add(flow);

    public void OnMessage(Session session, RecvFlow flow, ReadOnlySpan<byte> message) => Received.Add((flow, message.ToArray()));

    public void OnOtherChunk(Session session, byte chunkType, ReadOnlySpan<byte> payload) => OtherChunks.Add((chunkType, payload.ToArray()));

    public void Dispose()
    {
        _socket.Dispose();
        _crypto?.Dispose();
        _default.Dispose();
        _profile.Dispose();
    }
}
