using System.Diagnostics;
using System.Net;
using Akka.Actor;
using Microsoft.Extensions.Logging;
using Rtmfp.Gateway.Transport;
using Rtmfp.Cluster;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Gateway.Handshake;

/// <summary>
/// The gateway's stateless handshake front (RFC 7016 §3.5.1.1.2): IHello is answered from the
/// receive loop without allocating; a valid IIKeying becomes a bounded worker job (Diffie-Hellman,
/// key derivation) whose result opens the session entity; the entity's answer releases the RIKeying.
/// Nothing is kept for a client before its cookie comes back but what bounds the cost of its source
/// (<see cref="SourceGuard"/>): one handshake chunk per datagram, bytes out within a multiple of bytes in until the
/// address is verified, RHellos, keying jobs and rendezvous lookups rate-bounded per address and prefix, open sessions
/// bounded per address and prefix, and a repeated IIKeying answered from <see cref="KeyingReplayCache"/> without a
/// second Diffie-Hellman.
/// </summary>
internal sealed class HandshakeFront : IStartupHandler, IDisposable
{
    /// <summary>How many derived session IDs are tried before an IIKeying is dropped (collisions are 2^-32 events).</summary>
    public const int MaxProbes = 4;

    /// <summary>
    /// Highest probe (exclusive) a stalled handshake may key again under: each stall costs the initiator a
    /// retransmission and this gateway one Diffie-Hellman, and the choice may skip probes (<see cref="AnsweringShards"/>).
    /// </summary>
    public const int MaxStalledProbes = 1024;

    [ThreadStatic]
    private static ReceiveScratch? t_scratch;

    private readonly GatewayContext _context;
    private readonly HandshakeResponder _responder;
    private readonly HandshakeWorkerPool _pool;
    private readonly Dictionary<uint, HandshakeJob> _inFlight = [];
    private readonly Lock _inFlightLock = new();
    private readonly int _maxInFlight;
    private readonly IActorRef? _peerDirectory;
    private readonly TokenBucket _lookups;
    private readonly SourceGuard _guard;
    private readonly SessionsBySource _sessions;
    private readonly KeyingReplayCache _replays = new();
    private readonly AnsweringShards? _answering;

    /// <param name="peerDirectory">The peer directory shard region for rendezvous lookups (RFC 7016 §3.5.1.6); none: they are ignored.</param>
    /// <param name="lookupsPerSecond">
    /// Bound on rendezvous lookups leaving this gateway in all (each may start an entity somewhere); default
    /// <see cref="GatewaySourceLimits.Lookups"/>. Each source also has its own budget.
    /// </param>
    public HandshakeFront(GatewayContext context, FlashCryptoProfile serverProfile, IActorRef? peerDirectory = null, double? lookupsPerSecond = null)
    {
        _context = context;
        _peerDirectory = peerDirectory;
        var limits = context.Options.SourceLimits;
        double lookups = lookupsPerSecond ?? limits.Lookups;
        _lookups = new TokenBucket(lookups, lookups * 2);
        _guard = new SourceGuard(limits);
        _sessions = new SessionsBySource(limits, sessionId => context.Gateway.Cache.TryGet(sessionId, out _));
        var cookies = new CookieJar(context.Options.CookieSecret, context.Options.CookieSlot);
        _responder = new HandshakeResponder(serverProfile, cookies, new EndpointDiscriminatorCache())
        {
            MemberProfiles = [.. context.Options.GroupSeeds.Select(s => s.Profile)],
        };
        if (context.Options.ShardCount > 0)
        {
            _answering = new AnsweringShards(context.Options.ShardCount, context.IsReachable);
        }
        _maxInFlight = context.Options.HandshakeQueueLimit * 4;
        _pool = new HandshakeWorkerPool(_responder, context.Options.HandshakeWorkers, context.Options.HandshakeQueueLimit, OnKeyed,
            failed: ex =>
            {
                context.Metrics.HandlerFailed(HandlerFailureSites.HandshakeWorker);
                context.Logger.HandshakeWorkerFailed(ex);
            });
    }

    public FlashCryptoProfile Profile => _responder.Profile;

    /// <summary>Keying jobs that threw on a worker (<see cref="HandshakeWorkerPool.Failures"/>): 0 unless there is a bug.</summary>
    public long WorkerFailures => _pool.Failures;

    /// <summary>Keying jobs queued or running.</summary>
    public int PendingJobs => _pool.Pending;

    /// <summary>Per-source accounting of startup traffic.</summary>
    public SourceGuard Guard => _guard;

    /// <summary>Open sessions counted per source.</summary>
    public SessionsBySource Sessions => _sessions;

    /// <summary>Per receive-loop buffers and default-key context (SessionCryptoContext is single-threaded).</summary>
    private sealed class ReceiveScratch : IDisposable
    {
        public readonly byte[] Plain = new byte[PacketLimits.MaxDatagramLength];
        public readonly byte[] Reply = new byte[PacketLimits.MaxStartupPacketLength];
        public readonly SessionCryptoContext Default = SessionCryptoContext.CreateDefault();

        public void Dispose() => Default.Dispose();
    }

    public void OnStartupPacket(UdpEndpoint endpoint, ReadOnlySpan<byte> encryptedPacket, SocketAddress from)
    {
        long now = Environment.TickCount64;
        _guard.Received(from, PacketLimits.SessionIdLength + encryptedPacket.Length, now);
        var scratch = t_scratch ??= new ReceiveScratch();
        if (!scratch.Default.TryDecrypt(encryptedPacket, scratch.Plain, out int offset, out int length)
            || !StartupPacket.TryRead(scratch.Plain.AsSpan(offset, length), out var chunks))
        {
            _context.Metrics.Dropped(DropReasons.StartupInvalid);
            return;
        }
        // At most one handshake chunk per datagram: an initiator sends one (RFC 7016 §3.5.1.1.1), and answering every
        // chunk of a packed datagram multiplies what a forged source's victim receives (§5).
        foreach (var chunk in chunks)
        {
            switch (chunk.Type)
            {
                case ChunkType.IHello:
                    OnIHello(endpoint, chunk.Payload, from, now, scratch);
                    return;
                case ChunkType.IIKeying:
                    OnIIKeying(endpoint, chunk.Payload, from, now, scratch);
                    return;
                default:
                    // RHello, Redirect, RIKeying … are for initiators; Packet Fragment reassembly at
                    // startup is not needed by known clients (their IIKeying fits one packet).
                    break;
            }
        }
    }

    private void OnIHello(UdpEndpoint endpoint, ReadOnlySpan<byte> payload, SocketAddress from, long now, ReceiveScratch scratch)
    {
        var disposition = _responder.OnIHello(payload, from, now, scratch.Reply, out int written, out var lookup);
        if (disposition == IHelloDisposition.RendezvousLookup)
        {
            OnRendezvousLookup(endpoint, lookup, from, now);
            return;
        }
        if (disposition != IHelloDisposition.RHello)
        {
            return;
        }
        if (!_guard.TryTake(SourceGuard.Budget.Hello, from, now))
        {
            _context.Metrics.StartupRefused(StartupRefusals.HelloRate);
            return;
        }
        // RFC 7016 §5: the source is not verified yet; the initiator retransmits its IHello if this one is refused.
        if (StartupSender.Send(endpoint, scratch.Reply.AsSpan(0, written), 0, from, _context.Metrics, _guard, now))
        {
            _context.Metrics.HandshakesStarted.Add(1);
        }
    }

    /// <summary>
    /// RFC 7016 §3.5.1.6, RFC 7425 §5.4: the EPD names another peer. The directory entity of that peer ID forwards
    /// the lookup to the peer's session, which answers this gateway actor with a <see cref="PeerRedirect"/>;
    /// unknown peers get nothing (§3.5.1.1.2). Initiators retransmit, so a lookup over the rate bound is dropped.
    /// </summary>
    private void OnRendezvousLookup(UdpEndpoint endpoint, RendezvousLookup lookup, SocketAddress from, long now)
    {
        if (_peerDirectory is null || lookup.Tag.Length > LookupPeer.MaxTagLength)
        {
            return;
        }
        if (!_guard.TryTake(SourceGuard.Budget.Lookup, from, now) || !_lookups.TryTake(now))
        {
            _context.Metrics.StartupRefused(StartupRefusals.LookupRate);
            return;
        }
        var initiator = SocketAddresses.Copy(from);
        // The Redirect leaves from the endpoint the lookup came to (a node may serve several of one address family).
        if (_lookupArrivals.Count >= MaxLookupArrivals)
        {
            _lookupArrivals.Clear();
        }
        _lookupArrivals[initiator] = endpoint;
        _peerDirectory.Tell(new LookupPeer(lookup.TargetPeerId.ToArray(), lookup.Tag.ToArray(), initiator), _context.GatewayActor);
    }

    /// <summary>The endpoint each recent lookup's source used, bounded (lookups are rate-limited per source and in all).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<SocketAddress, UdpEndpoint> _lookupArrivals = new();

    private const int MaxLookupArrivals = 4096;

    private void OnIIKeying(UdpEndpoint endpoint, ReadOnlySpan<byte> payload, SocketAddress from, long now, ReceiveScratch scratch)
    {
        var check = _responder.OnIIKeying(payload, from, now, scratch.Reply, out var cookieChange, out var job);
        if (check == IIKeyingCheck.CookieChange)
        {
            // RFC 7016 §3.5.1.2: the initiator resends its IIKeying with the new cookie.
            StartupSender.Send(endpoint, scratch.Reply.AsSpan(0, cookieChange.Length), cookieChange.SessionId, from, _context.Metrics, _guard, now);
            return;
        }
        if (check != IIKeyingCheck.Accepted || job is null)
        {
            _context.Metrics.Rejected(HandshakeRejections.InvalidKeying);
            return;
        }
        // The cookie is ours and bound to this address: the source receives what we send (RFC 7016 §3.5.1.1.2).
        _guard.Verify(from, now);
        job.Arrival = endpoint;
        switch (_replays.Check(job.Cookie, job.InitiatorSessionId, from, now, out var riKeying, out int stalledProbe))
        {
            case KeyingReplayCache.Replay.New when _answering is { } answering && answering.Degraded(now):
                // A node was lost lately: shards not yet homed may wait for a coordinator that died with it.
                job.Probe = answering.NextProbe(_responder.Cookies, job.Cookie, -1, MaxStalledProbes, now);
                break;
            case KeyingReplayCache.Replay.Answer:
                // RFC 7016 §3.5.1.1.2: a retransmitted IIKeying gets the same RIKeying, without keying it again.
                StartupSender.Send(endpoint, riKeying, job.InitiatorSessionId, from, _context.Metrics, _guard, now);
                return;
            case KeyingReplayCache.Replay.InProgress:
            case KeyingReplayCache.Replay.Conflict:
                return;
            case KeyingReplayCache.Replay.Stalled when stalledProbe + 1 < MaxStalledProbes:
                // The entity of the first session ID never answered (its node is probably gone): the next ID lives in
                // another shard, one that answered lately if any does, so the handshake waits neither for the cluster
                // to re-home the first nor for a coordinator to home the next (AnsweringShards).
                job.Probe = _answering?.NextProbe(_responder.Cookies, job.Cookie, stalledProbe, MaxStalledProbes, now) ?? stalledProbe + 1;
                _context.Metrics.HandshakesRetried.Add(1);
                break;
            case KeyingReplayCache.Replay.Stalled:
                return;
        }
        // A responder that does not want the session ignores the IIKeying (RFC 7016 §3.5.1.1.2).
        if (!_guard.TryTake(SourceGuard.Budget.Handshake, from, now))
        {
            _context.Metrics.Rejected(HandshakeRejections.RateLimited);
            return;
        }
        if (!_sessions.TryReserve(job, now))
        {
            _context.Metrics.Rejected(HandshakeRejections.SessionLimit);
            return;
        }
        _replays.Begin(job, now);
        job.Trace ??= RtmfpTracing.StartDetached("rtmfp.handshake");
        if (!_pool.TryEnqueue(job))
        {
            // Overload: the initiator retransmits its IIKeying (RFC 7016 §3.5.1.1.1).
            Abandon(job, HandshakeRejections.Overload);
            ReportOverload(now);
        }
    }

    private long _overloadDropped;
    private long _overloadReportedMs;

    /// <summary>One Warning per <see cref="OverloadReportMs"/> at most while the keying queue overflows, with how many were dropped.</summary>
    private void ReportOverload(long now)
    {
        Interlocked.Increment(ref _overloadDropped);
        long last = Interlocked.Read(ref _overloadReportedMs);
        if (now - last >= OverloadReportMs && Interlocked.CompareExchange(ref _overloadReportedMs, now, last) == last)
        {
            long dropped = Interlocked.Exchange(ref _overloadDropped, 0);
            _context.Logger.HandshakeOverload(_context.Options.HandshakeQueueLimit, _context.Options.HandshakeWorkers, dropped,
                last == 0 ? 0 : (now - last) / 1000.0);
        }
    }

    /// <summary>How often a lasting handshake overload is reported.</summary>
    private const long OverloadReportMs = 10_000;

    /// <summary>The keying of <paramref name="job"/> ended without a session: a retransmission may try again.</summary>
    private void Abandon(HandshakeJob job, KeyValuePair<string, object?> reason)
    {
        _replays.Forget(job);
        _sessions.Release(job);
        _context.Metrics.Rejected(reason);
        RtmfpTracing.Fail(job.Trace, reason);
        job.Trace = null;
    }

    /// <summary>Worker thread: the keys are computed; ask the session entity to open.</summary>
    private void OnKeyed(HandshakeJob job, ResponderHandshakeResult? result)
    {
        if (result is null)
        {
            Abandon(job, HandshakeRejections.KeyingFailed);
            return;
        }
        lock (_inFlightLock)
        {
            if (_inFlight.Count >= _maxInFlight)
            {
                _inFlight.Clear(); // entities that never answered; their initiators retransmit
            }
            _inFlight[result.ResponderSessionId] = job;
        }
        _replays.Keyed(job, Environment.TickCount64);
        var keying = result.Keying;
        _context.SessionRegion.Tell(new OpenSession(
            result.ResponderSessionId,
            result.InitiatorSessionId,
            result.Cookie,
            SessionCryptoMaterial.From(keying.Keys, keying.Verification),
            result.InitiatorPeerId.ToArray(),
            result.EndpointDiscriminator ?? [],
            result.Client,
            result.RIKeyingPacket), _context.GatewayActor);
    }

    public void OnSessionOpened(SessionOpened opened, UdpEndpoint? endpoint)
    {
        HandshakeJob? job;
        lock (_inFlightLock)
        {
            _inFlight.Remove(opened.SessionId, out job);
        }
        if (job is not null)
        {
            _replays.Complete(job, opened.RIKeyingPacket);
            _context.Metrics.HandshakeDuration.Record(Stopwatch.GetElapsedTime(job.Started).TotalSeconds);
            job.Trace?.SetTag("rtmfp.session.id", opened.SessionId);
            job.Trace?.Stop();
            job.Trace = null;
        }
        _sessions.Opened(opened.SessionId, opened.FarAddress, job);
        _guard.Verify(opened.FarAddress, Environment.TickCount64);
        if (endpoint is null)
        {
            return;
        }
        // RFC 7016 §2.2.3: RIKeying goes to the initiator's session ID under the default key.
        StartupSender.Send(endpoint, opened.RIKeyingPacket, opened.FarSessionId, opened.FarAddress, _context.Metrics);
    }

    public UdpEndpoint? ArrivalOf(uint sessionId)
    {
        lock (_inFlightLock)
        {
            return _inFlight.TryGetValue(sessionId, out var job) ? job.Arrival : null;
        }
    }

    public void OnSessionClosed(uint sessionId) => _sessions.Closed(sessionId);

    public void OnMemberLost() => _answering?.MemberLost(Environment.TickCount64);

    public void OnEntityAnswered(uint sessionId, IActorRef entity) => _answering?.Answered(sessionId, entity.Path.Address, Environment.TickCount64);

    /// <summary>
    /// A Redirect (RFC 7016 §3.5.1.6) goes to the address the lookup came from, which nothing has verified: within what
    /// that address sent (§5), so a lookup in a forged source's name is not an amplifier.
    /// </summary>
    public void OnPeerRedirect(PeerRedirect redirect, UdpEndpoint endpoint, Rtmfp.Shared.Telemetry.RtmfpMetrics metrics) =>
        StartupSender.Send(_lookupArrivals.TryGetValue(redirect.To, out var arrival) ? arrival : endpoint,
            redirect.StartupPacket, 0, redirect.To, metrics, _guard, Environment.TickCount64);

    public void OnCollision(SessionIdCollision collision)
    {
        HandshakeJob? job;
        lock (_inFlightLock)
        {
            if (!_inFlight.Remove(collision.SessionId, out job) || !job.Cookie.AsSpan().SequenceEqual(collision.Cookie))
            {
                return;
            }
        }
        if (job.Probe + 1 >= MaxProbes)
        {
            Abandon(job, HandshakeRejections.IdCollision);
            _context.Logger.TooManyCollisions(MaxProbes);
            return;
        }
        job.Probe++;
        if (!_pool.TryEnqueue(job))
        {
            Abandon(job, HandshakeRejections.Overload);
        }
    }

    public void Dispose()
    {
        _pool.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
