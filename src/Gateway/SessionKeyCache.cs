using System.Collections.Concurrent;
using System.Net;
using Akka.Actor;
using Rtmfp.Gateway.Transport;
using Rtmfp.Cluster;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Gateway;

/// <summary>
/// Soft state: session ID → keys, refilled from the session entity on a miss
/// (docs/architecture.md). Losing it loses nothing but a few packets.
/// </summary>
internal sealed class SessionKeyCache : IDisposable
{
    /// <summary>One cached session. Decryption may run on several receive loops: guarded by <see cref="DecryptLock"/>.
    /// Encryption runs on the session's own thread or the gateway actor: guarded by <see cref="EncryptLock"/>.</summary>
    public sealed class Entry(uint sessionId, uint farSessionId, SessionCryptoContext crypto) : IDisposable
    {
        public uint SessionId { get; } = sessionId;
        public uint FarSessionId { get; } = farSessionId;
        public SessionCryptoContext Crypto { get; } = crypto;
        public Lock DecryptLock { get; } = new();
        public Lock EncryptLock { get; } = new();

        /// <summary>The session entity's actor once it has answered: inbound packets go to it directly.</summary>
        public volatile IActorRef? Session;

        /// <summary>Set while the node of <see cref="Session"/> is unreachable: inbound packets wait here (<see cref="HeldPackets"/>).</summary>
        public volatile HeldPackets? Hold;

        /// <summary>The session of this node that takes acknowledgement-only packets on the receive thread, if any.</summary>
        public volatile IInboundSessionPort? InboundPort;

        /// <summary>The endpoint the client last reached us on: replies leave from it.</summary>
        public volatile UdpEndpoint? Endpoint;

        /// <summary>The last source address and a stable copy of it handed to the session.</summary>
        public SocketAddress? LastFrom;

        private volatile bool _lingering;
        private long _lingerSequence;

        /// <summary>
        /// The far end closed the session and its entity stopped (<see cref="SessionLingering"/>): until the gateway
        /// forgets the keys, its packets are only searched for retransmitted Session Close Requests (RFC 7016 §3.5.5.2).
        /// </summary>
        public bool IsLingering => _lingering;

        /// <summary>Enters the far close linger; the Close Acknowledgements it sends are numbered from <paramref name="nextSequenceNumber"/>.</summary>
        public void BeginLinger(ulong nextSequenceNumber)
        {
            Interlocked.Exchange(ref _lingerSequence, (long)nextSequenceNumber);
            _lingering = true;
            // Session stays: a packet that read the entry before the mark goes to the stopped entity, which drops it,
            // rather than through the shard region to a new entity.
            InboundPort = null;
        }

        /// <summary>The sequence number of the next packet sent while lingering (RFC 7425 §4.6.6; receive loops may race).</summary>
        public ulong TakeLingerSequenceNumber() => (ulong)Interlocked.Increment(ref _lingerSequence) - 1;

        public void Dispose() => Crypto.Dispose();
    }

    private readonly ConcurrentDictionary<uint, Entry> _entries = new();
    private readonly ConcurrentDictionary<uint, long> _unknown = new();
    private readonly ConcurrentDictionary<uint, long> _pendingFetch = new();
    private readonly int _maxNegative;

    public SessionKeyCache(int maxNegativeEntries = 65536)
    {
        _maxNegative = maxNegativeEntries;
    }

    public int Count => _entries.Count;

    public IEnumerable<uint> SessionIds() => _entries.Keys;

    public bool TryGet(uint sessionId, out Entry entry) => _entries.TryGetValue(sessionId, out entry!);

    public Entry Set(uint sessionId, uint farSessionId, SessionCryptoMaterial material, UdpEndpoint? endpoint)
    {
        if (_entries.TryGetValue(sessionId, out var ended) && ended.IsLingering)
        {
            // A new session under the ID of one still lingering (IDs are random, RFC 7016 §3.5.1.1.2): its keys go first.
            Remove(ended);
        }
        var entry = new Entry(sessionId, farSessionId, material.CreateContext()) { Endpoint = endpoint };
        _unknown.TryRemove(sessionId, out _);
        _pendingFetch.TryRemove(sessionId, out _);
        var previous = _entries.GetOrAdd(sessionId, entry);
        if (!ReferenceEquals(previous, entry))
        {
            // Keys never change within a session: keep the entry in use.
            entry.Dispose();
            if (previous.Endpoint is null && endpoint is not null)
            {
                previous.Endpoint = endpoint;
            }
        }
        return previous;
    }

    public void Remove(uint sessionId)
    {
        _pendingFetch.TryRemove(sessionId, out _);
        if (_entries.TryRemove(sessionId, out var entry))
        {
            Release(entry);
        }
    }

    /// <summary>
    /// Removes <paramref name="entry"/> if it is still the one cached under its session ID: an ended session's entry
    /// (a linger over, a drain) must not take with it the entry of a new session that has the ID by now.
    /// </summary>
    public void Remove(Entry entry)
    {
        if (_entries.TryRemove(KeyValuePair.Create(entry.SessionId, entry)))
        {
            _pendingFetch.TryRemove(entry.SessionId, out _);
            Release(entry);
        }
    }

    private static void Release(Entry entry)
    {
        entry.Hold?.Release(null, ActorRefs.Nobody);
        // Receive loops may still hold it for a moment; disposing under the lock orders it after them.
        lock (entry.DecryptLock)
        {
            lock (entry.EncryptLock)
            {
                entry.Dispose();
            }
        }
    }

    /// <summary>Removes every entry of a closed session that lingers (<see cref="Entry.IsLingering"/>).</summary>
    public void RemoveLingering()
    {
        foreach (var (_, entry) in _entries)
        {
            if (entry.IsLingering)
            {
                Remove(entry);
            }
        }
    }

    /// <summary>Marks a session ID as unknown until <paramref name="untilMs"/>: its packets are dropped without a lookup.</summary>
    public void MarkUnknown(uint sessionId, long untilMs)
    {
        _pendingFetch.TryRemove(sessionId, out _);
        if (_unknown.Count >= _maxNegative)
        {
            _unknown.Clear();
        }
        _unknown[sessionId] = untilMs;
    }

    public bool IsKnownUnknown(uint sessionId, long nowMs)
    {
        if (_unknown.TryGetValue(sessionId, out long until))
        {
            if (until > nowMs)
            {
                return true;
            }
            _unknown.TryRemove(sessionId, out _);
        }
        return false;
    }

    /// <summary>True when a key fetch should be sent now (not one already in flight for this ID within <paramref name="retryMs"/>).</summary>
    public bool BeginFetch(uint sessionId, long nowMs, long retryMs)
    {
        if (_pendingFetch.Count >= _maxNegative)
        {
            _pendingFetch.Clear();
        }
        if (_pendingFetch.TryGetValue(sessionId, out long since) && nowMs - since < retryMs)
        {
            return false;
        }
        _pendingFetch[sessionId] = nowMs;
        return true;
    }

    public void Dispose()
    {
        foreach (var id in _entries.Keys)
        {
            Remove(id);
        }
    }
}
