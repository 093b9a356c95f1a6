using System.Buffers.Binary;
using System.Net;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Gateway.Handshake;

/// <summary>
/// The RIKeyings this gateway sent, by cookie, so that a repeated IIKeying (same cookie, same initiator session ID,
/// same source) is answered with the same RIKeying before any public-key work (RFC 7016 §3.5.1.1.2: a retransmitted
/// IIKeying gets the RIKeying already sent), and copies arriving while the first is still being keyed are dropped (the
/// initiator retransmits). A cookie is accepted once: another session ID or source under it is dropped too. Fixed
/// slots indexed by the cookie's last bytes (HMAC output, RFC 7016 §3.5.1.1.2 leaves the cookie to us): bounded memory,
/// an entry overwritten only costs one more Diffie-Hellman. Thread-safe.
/// </summary>
internal sealed class KeyingReplayCache
{
    /// <summary>A job that never finished (entity silent, worker queue dropped) stops blocking its retransmissions after this.</summary>
    public const long PendingMs = 5_000;

    /// <summary>
    /// Keyed, but the session entity has not answered for this long: its shard's home is probably a node that just
    /// died (issue 9). A retransmission then opens the session under the next session ID, in another shard, instead
    /// of waiting for the cluster to re-home the first one.
    /// </summary>
    public const long OpenStallMs = 2_000;

    public enum Replay
    {
        /// <summary>Not seen: key it.</summary>
        New,

        /// <summary>Being keyed: drop this copy.</summary>
        InProgress,

        /// <summary>Answered before: send the same RIKeying again.</summary>
        Answer,

        /// <summary>The cookie was used by another session ID or source: drop.</summary>
        Conflict,

        /// <summary>Keyed, but the entity never answered (<see cref="OpenStallMs"/>): key again under the next session ID.</summary>
        Stalled,
    }

    private sealed class Entry(byte[] cookie, uint initiatorSessionId, SocketAddress source, long pendingUntilMs)
    {
        public readonly byte[] Cookie = cookie;
        public readonly uint InitiatorSessionId = initiatorSessionId;
        public readonly SocketAddress Source = source;
        public long PendingUntilMs = pendingUntilMs;
        public byte[]? RIKeying;
        public long KeyedAtMs;
        public int Probe;
    }

    private readonly Entry?[] _slots;
    private readonly Lock _lock = new();

    public KeyingReplayCache(int slots = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        _slots = new Entry?[slots];
    }

    public Replay Check(ReadOnlySpan<byte> cookie, uint initiatorSessionId, SocketAddress source, long nowMs, out byte[]? riKeying) =>
        Check(cookie, initiatorSessionId, source, nowMs, out riKeying, out _);

    /// <summary>As above; <paramref name="stalledProbe"/> is the probe of a <see cref="Replay.Stalled"/> job.</summary>
    public Replay Check(ReadOnlySpan<byte> cookie, uint initiatorSessionId, SocketAddress source, long nowMs, out byte[]? riKeying, out int stalledProbe)
    {
        riKeying = null;
        stalledProbe = 0;
        lock (_lock)
        {
            var entry = _slots[Index(cookie)];
            if (entry is null || !entry.Cookie.AsSpan().SequenceEqual(cookie))
            {
                return Replay.New;
            }
            if (entry.InitiatorSessionId != initiatorSessionId || !entry.Source.Equals(source))
            {
                return Replay.Conflict;
            }
            if (entry.RIKeying is { } answer)
            {
                riKeying = answer;
                return Replay.Answer;
            }
            if (entry.KeyedAtMs != 0 && nowMs - entry.KeyedAtMs >= OpenStallMs)
            {
                stalledProbe = entry.Probe;
                return Replay.Stalled;
            }
            return nowMs < entry.PendingUntilMs ? Replay.InProgress : Replay.New;
        }
    }

    /// <summary>A keying job for this IIKeying was queued.</summary>
    public void Begin(HandshakeJob job, long nowMs)
    {
        lock (_lock)
        {
            _slots[Index(job.Cookie)] = new Entry(job.Cookie, job.InitiatorSessionId, job.Client, nowMs + PendingMs) { Probe = job.Probe };
        }
    }

    /// <summary>The job's keys are computed and its session entity was asked to open.</summary>
    public void Keyed(HandshakeJob job, long nowMs)
    {
        lock (_lock)
        {
            var entry = _slots[Index(job.Cookie)];
            if (entry is not null && entry.Cookie.AsSpan().SequenceEqual(job.Cookie) && entry.RIKeying is null)
            {
                entry.KeyedAtMs = nowMs;
                entry.Probe = job.Probe;
                entry.PendingUntilMs = Math.Max(entry.PendingUntilMs, nowMs + PendingMs);
            }
        }
    }

    /// <summary>The session opened and its RIKeying is leaving: later copies get it from here.</summary>
    public void Complete(HandshakeJob job, byte[] riKeying)
    {
        lock (_lock)
        {
            ref var entry = ref _slots[Index(job.Cookie)];
            if (entry is null || !entry.Cookie.AsSpan().SequenceEqual(job.Cookie))
            {
                entry = new Entry(job.Cookie, job.InitiatorSessionId, job.Client, 0);
            }
            entry.RIKeying = riKeying;
        }
    }

    /// <summary>The keying failed or was refused: a retransmission may try again.</summary>
    public void Forget(HandshakeJob job)
    {
        lock (_lock)
        {
            ref var entry = ref _slots[Index(job.Cookie)];
            if (entry is not null && entry.Cookie.AsSpan().SequenceEqual(job.Cookie) && entry.RIKeying is null)
            {
                entry = null;
            }
        }
    }

    private int Index(ReadOnlySpan<byte> cookie) =>
        cookie.Length >= 4 ? (int)(BinaryPrimitives.ReadUInt32BigEndian(cookie[^4..]) % (uint)_slots.Length) : 0;
}
