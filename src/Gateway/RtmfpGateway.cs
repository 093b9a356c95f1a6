using System.Buffers;
using System.Net;
using Akka.Actor;
using Microsoft.Extensions.Logging;
using Rtmfp.Gateway.Transport;
using Rtmfp.Cluster;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Gateway;

/// <summary>
/// The gateway's datagram path: unscramble, route startup packets to the handshake front, decrypt
/// and verify session packets with cached keys, and hand the plain packet to the session entity.
/// It keeps no state that is not a cache. Runs on the UDP receive loops (one per endpoint).
/// </summary>
internal sealed class RtmfpGateway : ILocalPacketSink
{
    /// <summary>How long a session ID that no entity knows is dropped without asking again.</summary>
    public const long UnknownSessionTtlMs = 10_000;
    private const long FetchRetryMs = 1_000;

    private readonly IActorRef _sessionRegion;
    private readonly SessionKeyCache _cache;
    private readonly RtmfpMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TokenBucket _fetchBudget;
    private IStartupHandler? _startup;
    private IActorRef _self = ActorRefs.Nobody;
    private IReadOnlyList<UdpEndpoint> _endpoints = [];

    // One encryption buffer per sending thread (session actors call Send on pool threads).
    [ThreadStatic]
    private static byte[]? t_sendBuffer;

    [ThreadStatic]
    private static DatagramBatch? t_batch;

    // The packets of the receive batch under way on this receive thread (OnDatagramBatched, EndOfBatch).
    [ThreadStatic]
    private static InboundBatcher? t_inbound;

    public RtmfpGateway(IActorRef sessionRegion, SessionKeyCache cache, RtmfpMetrics metrics, ILogger logger, double keyFetchesPerSecond = 500)
    {
        _sessionRegion = sessionRegion;
        _cache = cache;
        _metrics = metrics;
        _logger = logger;
        _fetchBudget = new TokenBucket(keyFetchesPerSecond, keyFetchesPerSecond);
    }

    public SessionKeyCache Cache => _cache;

    /// <summary>The session shard region (packets of sessions whose entity is not known yet, or moved).</summary>
    public IActorRef SessionRegion => _sessionRegion;

    /// <summary>What all sessions' <see cref="HeldPackets"/> hold together, bounded.</summary>
    public HeldBytes Held { get; } = new(HeldBytes.DefaultLimit);

    /// <summary>
    /// Set when the node shuts down (<see cref="SessionDrain"/>): startup packets are dropped, so no handshake begins,
    /// and unknown session IDs no longer start entity lookups (the last acknowledgements of closed sessions).
    /// </summary>
    public bool Draining => Volatile.Read(ref _draining);

    private bool _draining;

    public void BeginDrain()
    {
        Volatile.Write(ref _draining, true);
        // Far-closed sessions lingering here (RFC 7016 §3.5.5.2) have had their Close Acknowledgement: nothing to drain.
        _cache.RemoveLingering();
    }

    /// <summary>Connects the handshake front, the gateway actor (which receives the sessions' answers) and the sockets.</summary>
    public void Attach(IStartupHandler startup, IActorRef gatewayActor, IReadOnlyList<UdpEndpoint> endpoints)
    {
        _startup = startup;
        _self = gatewayActor;
        _endpoints = endpoints;
    }

    /// <summary>
    /// Encrypts a session's plain packet with the sequence number it assigned and sends it from the endpoint
    /// the client last reached us on. Called by session actors on this node directly (<see cref="LocalGateways"/>)
    /// and by the gateway actor for packets that came as messages.
    /// </summary>
    public void Send(uint sessionId, uint farSessionId, ReadOnlySpan<byte> plainPacket, ulong sequenceNumber, SocketAddress to)
    {
        if (!_cache.TryGet(sessionId, out var entry))
        {
            // Keys were evicted (or another gateway opened the session): fetch them; the engine retransmits.
            FetchKeys(sessionId);
            return;
        }
        var endpoint = entry.Endpoint ?? EndpointFor(to);
        if (endpoint is null)
        {
            return;
        }
        SendSealed(entry, farSessionId, plainPacket, sequenceNumber, endpoint, to);
    }

    private void SendSealed(SessionKeyCache.Entry entry, uint farSessionId, ReadOnlySpan<byte> plainPacket, ulong sequenceNumber, UdpEndpoint endpoint, SocketAddress to)
    {
        var datagram = (t_sendBuffer ??= GC.AllocateUninitializedArray<byte>(PacketLimits.MaxDatagramLength)).AsSpan();
        int length = Seal(entry, farSessionId, plainPacket, sequenceNumber, datagram);
        if (length > 0)
        {
            (t_batch ??= new DatagramBatch()).Add(endpoint, datagram[..length], to, _metrics);
        }
    }

    /// <summary>
    /// Sends the session's client, now, a packet of one empty chunk of <paramref name="type"/> (RFC 7016 §2.2.4: a
    /// responder's header with a timestamp) under the session's keys: the gateway's own Close Request for a lost session,
    /// its Close Acknowledgements while a closed session lingers.
    /// </summary>
    internal void SendBareChunk(SessionKeyCache.Entry entry, ChunkType type, ulong sequenceNumber, UdpEndpoint endpoint, SocketAddress to)
    {
        Span<byte> plain = stackalloc byte[8];
        var writer = new WireWriter(plain);
        new PacketHeader(PacketMode.ResponderMark, Timestamp.FromMilliseconds(Environment.TickCount64)).Write(ref writer);
        writer.WriteByte((byte)type);
        writer.WriteUInt16(0);
        SendSealed(entry, entry.FarSessionId, writer.Written, sequenceNumber, endpoint, to);
        Flush();
    }

    /// <summary>
    /// Writes the datagram of a session's plain packet into <paramref name="datagram"/> (at least
    /// <see cref="PacketLimits.MaxDatagramLength"/> bytes): encrypted with the cached keys and the session's sequence
    /// number (RFC 7425 §4.7.2), behind the far end's scrambled session ID (RFC 7016 §2.2.2). Returns its length, or 0
    /// when it would exceed the largest datagram or the keys were just removed.
    /// </summary>
    internal static int Seal(SessionKeyCache.Entry entry, uint farSessionId, ReadOnlySpan<byte> plainPacket, ulong sequenceNumber, Span<byte> datagram)
    {
        if (PacketLimits.SessionIdLength + plainPacket.Length + SessionCryptoContext.MaxOverhead > PacketLimits.MaxDatagramLength)
        {
            return 0;
        }
        int length;
        lock (entry.EncryptLock)
        {
            if (entry.Crypto.IsDisposed)
            {
                return 0;
            }
            length = PacketLimits.SessionIdLength + entry.Crypto.Encrypt(plainPacket, datagram[PacketLimits.SessionIdLength..], sequenceNumber);
        }
        Multiplex.ScrambleSessionId(datagram[..length], farSessionId);
        return length;
    }

    /// <summary>
    /// Sends what this thread's <see cref="Send"/> calls collected (a burst to one client goes as one batch); inside a
    /// <see cref="SendDeferral"/> scope the burst waits for the scope's end, with the other players' bursts.
    /// </summary>
    public void Flush()
    {
        if (t_batch is not { } batch)
        {
            return;
        }
        if (SendDeferral.IsOpen)
        {
            batch.EndBurst();
            if (batch.Full)
            {
                batch.Flush(); // here rather than in the next player's Send: the send is this player's flush
            }
            SendDeferral.Defer(this);
            return;
        }
        batch.Flush();
    }

    public void AttachInbound(uint sessionId, IInboundSessionPort port)
    {
        if (_cache.TryGet(sessionId, out var entry))
        {
            entry.InboundPort = port;
        }
    }

    public void DetachInbound(uint sessionId, IInboundSessionPort port)
    {
        if (_cache.TryGet(sessionId, out var entry) && ReferenceEquals(entry.InboundPort, port))
        {
            entry.InboundPort = null;
        }
    }

    /// <summary>The first endpoint of the address's family (IPv4 or IPv6).</summary>
    public UdpEndpoint? EndpointFor(SocketAddress address)
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

    /// <summary>
    /// A datagram of a receive batch (UdpEndpoint with recvmmsg): its packet waits on this thread until
    /// <see cref="EndOfBatch"/>, so that a session gets all of its packets of the batch as one message.
    /// </summary>
    public void OnDatagramBatched(UdpEndpoint endpoint, ReadOnlySpan<byte> datagram, SocketAddress from) =>
        OnDatagram(endpoint, datagram, from, t_inbound ??= new InboundBatcher());

    /// <summary>The receive batch of this thread ended: every session gets its packets (InboundBatcher).</summary>
    public void EndOfBatch() => t_inbound?.Flush(_self);

    /// <summary>The messages this thread's batches told sessions (tests).</summary>
    internal static long BatchedMessagesOnThisThread => t_inbound?.MessagesSent ?? 0;

    public void OnDatagram(UdpEndpoint endpoint, ReadOnlySpan<byte> datagram, SocketAddress from) =>
        OnDatagram(endpoint, datagram, from, null);

    /// <summary>Datagrams that waited for their session's keys (<see cref="AwaitingKeys"/>), now that the keys came.</summary>
    public AwaitingKeys AwaitingKeys { get; } = new();

    /// <summary>
    /// The datagrams that waited for <paramref name="sessionId"/>'s keys go on as if they arrived now (the gateway actor,
    /// once the keys are cached), their timestamps removed (HeldPackets: they are seconds old).
    /// </summary>
    public int ReleaseAwaiting(uint sessionId)
    {
        var kept = AwaitingKeys.Take(sessionId, Environment.TickCount64);
        foreach (var d in kept)
        {
            try
            {
                Route(d.Endpoint, d.Buffer.AsSpan(0, d.Length), d.From, null, stale: true);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(d.Buffer);
            }
        }
        return kept.Count;
    }

    /// <summary>An entity said it knows nothing of the session: what waited for its keys is dropped.</summary>
    public void DiscardAwaiting(uint sessionId)
    {
        foreach (var d in AwaitingKeys.Take(sessionId, Environment.TickCount64))
        {
            ArrayPool<byte>.Shared.Return(d.Buffer);
        }
    }

    /// <summary>A node was removed: the key fetches still waiting (lost if they went to it) are sent again now.</summary>
    public void FetchAwaitingAgain()
    {
        foreach (uint sessionId in AwaitingKeys.SessionIds())
        {
            FetchKeys(sessionId, force: true);
        }
    }

    private void OnDatagram(UdpEndpoint endpoint, ReadOnlySpan<byte> datagram, SocketAddress from, InboundBatcher? batch)
    {
        _metrics.Packets.Add(1, MetricTags.Receive);
        _metrics.Io.Add(datagram.Length, MetricTags.Receive);
        Route(endpoint, datagram, from, batch, stale: false);
    }

    private void Route(UdpEndpoint endpoint, ReadOnlySpan<byte> datagram, SocketAddress from, InboundBatcher? batch, bool stale)
    {
        if (datagram.Length < PacketLimits.MinFlashDatagramLength || !Multiplex.TryUnscrambleSessionId(datagram, out uint sessionId))
        {
            _metrics.Dropped(DropReasons.Malformed);
            return;
        }
        var encrypted = datagram[4..];
        if (sessionId == 0)
        {
            if (_draining)
            {
                _metrics.StartupRefused(StartupRefusals.ShuttingDown);
                return;
            }
            _startup?.OnStartupPacket(endpoint, encrypted, from);
            return;
        }
        if (!_cache.TryGet(sessionId, out var entry))
        {
            if (!stale)
            {
                OnUnknownSession(sessionId, datagram, from, endpoint);
            }
            return;
        }

        if (!TryDecrypt(entry, encrypted, out var buffer, out int offset, out int length, out ulong sequence))
        {
            _metrics.Dropped(DropReasons.DecryptFailed);
            return;
        }
        if (entry.IsLingering)
        {
            AnswerLingering(entry, buffer.AsSpan(offset, length), endpoint, from);
            ArrayPool<byte>.Shared.Return(buffer);
            return;
        }
        entry.Endpoint = endpoint;
        var source = StableCopy(entry, from);
        // Acknowledgements only, for an idle session of this node: into its engine on this thread, as the fan-out hands
        // it media, instead of a message per acknowledgement (docs/decisions.md, "Acknowledgements on the receive thread").
        if (!stale && entry.Hold is null && entry.InboundPort is { } port
            && PlainPacket.HoldsOnlyAcknowledgements(buffer.AsSpan(offset, length))
            && port.TryReceive(buffer, offset, length, sequence, source))
        {
            return;
        }
        // The session's own actor once known: the shard region and shard are two hops per packet otherwise.
        var target = entry.Session ?? _sessionRegion;
        var packet = new InboundPacket(sessionId, buffer, offset, length, sequence, source);
        if (stale)
        {
            packet = HeldPackets.WithoutTimestamps(packet);
        }
        // Its entity's node is unreachable: keep the newest packets for the entity's next home (HeldPackets).
        if (entry.Hold is { } hold && hold.TryAdd(packet, out bool dropped))
        {
            if (dropped)
            {
                _metrics.Dropped(DropReasons.NodeUnreachable);
            }
            return;
        }
        if (batch is null)
        {
            target.Tell(packet, _self);
        }
        else
        {
            batch.Add(target, packet);
        }
    }

    /// <summary>Decrypts into a pooled buffer (the caller's to return when true) under the entry's decryption lock (receive loops may share an entry).</summary>
    private static bool TryDecrypt(SessionKeyCache.Entry entry, ReadOnlySpan<byte> encrypted, out byte[] buffer, out int offset, out int length, out ulong sequence)
    {
        buffer = ArrayPool<byte>.Shared.Rent(encrypted.Length);
        bool ok;
        offset = length = 0;
        sequence = 0;
        lock (entry.DecryptLock)
        {
            ok = !entry.Crypto.IsDisposed && entry.Crypto.TryDecryptUnwindowed(encrypted, buffer, out offset, out length, out sequence);
        }
        if (!ok)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return ok;
    }

    /// <summary>
    /// RFC 7016 §3.5.5.2, S_FARCLOSE_LINGER (kept here once the entity stopped, <see cref="SessionLingering"/>): a
    /// retransmitted Session Close Request is answered with a Session Close Acknowledgement under the session's keys, to
    /// where it came from; any other packet is ignored.
    /// </summary>
    private void AnswerLingering(SessionKeyCache.Entry entry, ReadOnlySpan<byte> plainPacket, UdpEndpoint endpoint, SocketAddress from)
    {
        if (PlainPacket.HoldsSessionCloseRequest(plainPacket))
        {
            SendBareChunk(entry, ChunkType.SessionCloseAcknowledgement, entry.TakeLingerSequenceNumber(), endpoint, from);
        }
    }

    private void OnUnknownSession(uint sessionId, ReadOnlySpan<byte> datagram, SocketAddress from, UdpEndpoint endpoint)
    {
        // Ordinary after a gateway restart or a client moving between gateways: not a rejection.
        _metrics.KeyCacheMisses.Add(1);
        long now = Environment.TickCount64;
        if (!_draining && !_cache.IsKnownUnknown(sessionId, now))
        {
            // Kept for when the keys come (AwaitingKeys); beyond its bounds dropped, as UDP may drop it.
            AwaitingKeys.TryAdd(sessionId, datagram, from, endpoint, now);
            FetchKeys(sessionId);
        }
    }

    /// <summary>
    /// Asks the session entity for keys this gateway lacks, at most once per retry interval per ID and
    /// within a global budget, whether a datagram or an outbound packet found the cache empty.
    /// </summary>
    public void FetchKeys(uint sessionId, bool force = false)
    {
        long now = Environment.TickCount64;
        if (_draining || _cache.IsKnownUnknown(sessionId, now) || !_cache.BeginFetch(sessionId, now, force ? 0 : FetchRetryMs))
        {
            return;
        }
        // Bounded: a flood of random session IDs must not become a flood of entity lookups.
        if (_fetchBudget.TryTake(now))
        {
            _sessionRegion.Tell(new FetchSessionKeys(sessionId), _self);
        }
    }

    /// <summary>The session keeps the address; reuse one copy while the client stays put.</summary>
    private static SocketAddress StableCopy(SessionKeyCache.Entry entry, SocketAddress from)
    {
        var last = entry.LastFrom;
        if (last is not null && last.Equals(from))
        {
            return last;
        }
        var copy = SocketAddresses.Copy(from);
        entry.LastFrom = copy;
        return copy;
    }
}
