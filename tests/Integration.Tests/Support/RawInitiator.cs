using Rtmfp.Cluster;
using System.Net;
using System.Net.Sockets;
using Rtmfp.Engine.Handshake;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Integration.Tests.Support;

/// <summary>
/// The engine's initiator handshake over a real UDP socket, without the client library: what the
/// node's bad-input and shutdown tests need to prove what a client sees on the wire.
/// </summary>
public sealed class RawInitiator : IDisposable
{
    private Socket _socket;
    private readonly SessionCryptoContext _default = SessionCryptoContext.CreateDefault();
    private readonly byte[] _receive = new byte[8192];
    private readonly byte[] _plain = new byte[8192];
    private SessionCryptoContext? _session;

    private RawInitiator()
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    }

    public HandshakeResult? Result { get; private set; }

    /// <summary>RHello Cookie Changes the initiator adopted (RFC 7016 §3.5.1.2: at most one).</summary>
    public int CookieChanges { get; private set; }

    /// <summary>The last IIKeying datagram sent (scrambled session ID 0, default key), as it went on the wire.</summary>
    public byte[]? IIKeyingDatagram { get; private set; }

    /// <summary>The payload of the RIKeying chunk that opened the session (RFC 7016 §2.3.7).</summary>
    public byte[]? RIKeyingPayload { get; private set; }

    public static async Task<HandshakeResult?> HandshakeAsync(IPEndPoint server, string uri, TimeSpan timeout, FlashCryptoProfile? profile = null)
    {
        using var raw = await ConnectAsync(server, uri, timeout, profile);
        return raw.Result;
    }

    /// <summary>
    /// IHellos from a new socket until the first RHello (no keying, no session). The node answers an IHello on the
    /// thread that receives it, in the order its socket delivered the datagrams: the RHello proves the node handled every
    /// datagram sent to it before the IHello. False if no RHello came within <paramref name="timeout"/>.
    /// </summary>
    public static async Task<bool> HelloAsync(IPEndPoint server, string uri, TimeSpan timeout)
    {
        using var raw = await RunAsync(server, uri, timeout, profile: null, moveBeforeKeying: false, helloOnly: true);
        return raw.AnsweredHello;
    }

    /// <summary>An RHello came back (the handshake reached KEYING_SENT).</summary>
    public bool AnsweredHello { get; private set; }

    /// <summary>Completes a handshake and keeps the socket and keys for reading what the server sends.</summary>
    /// <param name="moveBeforeKeying">
    /// Send the IIKeying from another socket than the IHello, as the initiator with two interfaces of RFC 7016 Figure 10.
    /// </param>
    public static Task<RawInitiator> ConnectAsync(IPEndPoint server, string uri, TimeSpan timeout, FlashCryptoProfile? profile = null,
        bool moveBeforeKeying = false) =>
        RunAsync(server, uri, timeout, profile, moveBeforeKeying, helloOnly: false);

    private static async Task<RawInitiator> RunAsync(IPEndPoint server, string uri, TimeSpan timeout, FlashCryptoProfile? profile,
        bool moveBeforeKeying, bool helloOnly)
    {
        var raw = new RawInitiator();
        using var ownedProfile = profile is null ? FlashCryptoProfile.CreateEphemeral() : null;
        using var handshake = new InitiatorHandshake(profile ?? ownedProfile!, EndpointDiscriminator.CreateForUri(uri),
            (uint)Random.Shared.Next(1, int.MaxValue), [server.Serialize()], Environment.TickCount64);
        var send = new byte[8192];
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && handshake.State is InitiatorState.IHelloSent or InitiatorState.KeyingSent && !(helloOnly && raw.AnsweredHello))
        {
            long now = Environment.TickCount64;
            while (handshake.TryBuildPacket(now, out var packet))
            {
                int n = StartupDatagram.Write(packet.Packet, packet.SessionId, send);
                if (FirstChunk(packet.Packet, ChunkType.IIKeying) is not null)
                {
                    raw.IIKeyingDatagram = send[..n];
                }
                await raw._socket.SendToAsync(send.AsMemory(0, n), SocketFlags.None, packet.Destination);
            }
            var wait = TimeSpan.FromMilliseconds(Math.Clamp(handshake.NextWakeupMs - now, 5, 200));
            var (sid, from, plain) = await raw.ReceiveAsync(raw._default, wait);
            if (plain.Length > 0)
            {
                raw.RIKeyingPayload ??= FirstChunk(plain.Span, ChunkType.RIKeying);
                bool keying = handshake.State == InitiatorState.KeyingSent;
                if (handshake.Receive(plain.Span, sid, from!, Environment.TickCount64) && keying && handshake.State == InitiatorState.KeyingSent)
                {
                    raw.CookieChanges++;
                }
                raw.AnsweredHello |= handshake.State != InitiatorState.IHelloSent;
                if (moveBeforeKeying && !keying && handshake.State == InitiatorState.KeyingSent)
                {
                    raw.Move();
                }
            }
        }
        if (handshake.State == InitiatorState.Open)
        {
            raw.Result = handshake.Result;
            raw._session = handshake.Result!.CreateCryptoContext();
        }
        return raw;
    }

    private void Move()
    {
        var old = _socket;
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        old.Dispose();
    }

    /// <summary>Encrypts a plain packet with the session key and an explicit session sequence number; returns the datagram.</summary>
    public byte[] Seal(ReadOnlySpan<byte> plainPacket, ulong sequenceNumber)
    {
        var session = _session ?? throw new InvalidOperationException("not open");
        var datagram = new byte[4 + session.GetEncryptedLength(plainPacket.Length, sequenceNumber)];
        int n = session.Encrypt(plainPacket, datagram.AsSpan(4), sequenceNumber);
        Multiplex.ScrambleSessionId(datagram.AsSpan(0, 4 + n), Result!.FarSessionId);
        return datagram;
    }

    public Task SendAsync(byte[] datagram, IPEndPoint to) => _socket.SendToAsync(datagram, SocketFlags.None, to);

    /// <summary>
    /// Sends the IIKeying of this handshake again, byte for byte, to <paramref name="to"/> (a retransmission that lands
    /// on another gateway) and returns the payload of the RIKeying that comes back, or null if none comes in time.
    /// </summary>
    public async Task<byte[]?> RepeatIIKeyingAsync(IPEndPoint to, TimeSpan timeout)
    {
        var datagram = IIKeyingDatagram ?? throw new InvalidOperationException("no IIKeying sent");
        var deadline = DateTime.UtcNow + timeout;
        var resend = DateTime.MinValue;
        while (DateTime.UtcNow < deadline)
        {
            if (DateTime.UtcNow >= resend)
            {
                // An initiator retransmits its IIKeying until it is answered (RFC 7016 §3.5.1.1.1).
                await _socket.SendToAsync(datagram, SocketFlags.None, to);
                resend = DateTime.UtcNow.AddSeconds(1);
            }
            var (_, _, plain) = await ReceiveAsync(_default, TimeSpan.FromMilliseconds(200));
            if (plain.Length > 0 && FirstChunk(plain.Span, ChunkType.RIKeying) is { } payload)
            {
                return payload;
            }
        }
        return null;
    }

    /// <summary>
    /// The payload of the first Ping Reply in a session packet from the server (RFC 7016 §2.3.10: it echoes the Ping's
    /// message), or null when none comes within <paramref name="timeout"/>; other packets are skipped.
    /// </summary>
    public async Task<byte[]?> ReceivePingReplyAsync(TimeSpan timeout)
    {
        var session = _session ?? throw new InvalidOperationException("not open");
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var left = deadline - DateTime.UtcNow;
            var (_, _, plain) = await ReceiveAsync(session, left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));
            if (plain.Length > 0 && FirstSessionChunk(plain.Span, ChunkType.PingReply) is { } payload)
            {
                return payload;
            }
        }
        return null;
    }

    // Not in the async methods: the chunk reader is a ref struct.
    private static byte[]? FirstChunk(ReadOnlySpan<byte> startupPacket, ChunkType type)
    {
        if (!StartupPacket.TryRead(startupPacket, out var chunks))
        {
            return null;
        }
        foreach (var chunk in chunks)
        {
            if (chunk.Type == type)
            {
                return chunk.Payload.ToArray();
            }
        }
        return null;
    }

    private static byte[]? FirstSessionChunk(ReadOnlySpan<byte> plain, ChunkType type)
    {
        if (!PlainPacket.TryRead(plain, out _, out var chunks))
        {
            return null;
        }
        foreach (var chunk in chunks)
        {
            if (chunk.Type == type)
            {
                return chunk.Payload.ToArray();
            }
        }
        return null;
    }

    /// <summary>The chunk types of the next session packet from the server, or null on timeout.</summary>
    public async Task<List<ChunkType>?> ReceiveChunkTypesAsync(TimeSpan timeout)
    {
        var (_, _, plain) = await ReceiveAsync(_session ?? throw new InvalidOperationException("not open"), timeout);
        return ChunkTypesOf(plain.Span);
    }

    // Not in the async method: a Debug build keeps its locals across awaits, and the chunk reader is a ref struct.
    private static List<ChunkType>? ChunkTypesOf(ReadOnlySpan<byte> plain)
    {
        if (plain.Length == 0 || !PlainPacket.TryRead(plain, out _, out var chunks))
        {
            return null;
        }
        var types = new List<ChunkType>();
        foreach (var chunk in chunks)
        {
            types.Add(chunk.Type);
        }
        return types;
    }

    private async Task<(uint Sid, SocketAddress? From, ReadOnlyMemory<byte> Plain)> ReceiveAsync(SessionCryptoContext context, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            var from = new SocketAddress(AddressFamily.InterNetwork);
            int received = await _socket.ReceiveFromAsync(_receive, SocketFlags.None, from, cts.Token);
            if (Multiplex.TryUnscrambleSessionId(_receive.AsSpan(0, received), out uint sid)
                && context.TryDecrypt(_receive.AsSpan(4, received - 4), _plain, out int offset, out int length))
            {
                return (sid, from, _plain.AsMemory(offset, length));
            }
        }
        catch (OperationCanceledException)
        {
        }
        return (0, null, ReadOnlyMemory<byte>.Empty);
    }

    public void Dispose()
    {
        _socket.Dispose();
        _default.Dispose();
        _session?.Dispose();
    }
}
