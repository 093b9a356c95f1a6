namespace Rtmfp.Shared.Crypto;

/// <summary>
/// A responder's ephemeral Diffie-Hellman key pair per group, used for every handshake within
/// <see cref="Lifetime"/> of its creation instead of one key generation per handshake (docs/decisions.md, "Crypto and
/// packets"). Each session's keys still differ: they are derived from both keying components (RFC 7425 §4.6.3),
/// which carry the initiator's fresh nonce material. The initiator's public key is checked (§4.6.2: 2^24 ≤ y ≤ p − 2^24)
/// before any exponentiation, and groups 2, 5 and 14 are safe-prime groups, so a reused exponent leaks nothing
/// through small subgroups. Forward secrecy holds for sessions older than the lifetime: a replaced pair is no longer
/// reachable and OpenSSL clears its exponent when the handle is released. Thread-safe.
/// </summary>
/// <param name="time">The clock the lifetime is measured on (the system's; tests move one by hand).</param>
internal sealed class EphemeralKeyReuse(TimeSpan lifetime, TimeProvider? time = null)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, (DiffieHellmanKeyPair Pair, long Created)> _current = [];
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly long _lifetimeTicks = (long)(lifetime.TotalSeconds * (time ?? TimeProvider.System).TimestampFrequency);

    public TimeSpan Lifetime { get; } = lifetime;

    /// <summary>
    /// The group's current pair, or a new one when it is older than the lifetime. Never dispose what this returns:
    /// other handshakes may hold it; an unreachable pair is released by its handle's finalizer.
    /// </summary>
    public DiffieHellmanKeyPair Get(DiffieHellmanGroup group)
    {
        long now = _time.GetTimestamp();
        lock (_lock)
        {
            if (_current.TryGetValue(group.Id, out var entry) && now - entry.Created < _lifetimeTicks)
            {
                return entry.Pair;
            }
        }
        // Generated outside the lock: two workers may both make one at a turn of the lifetime; the later one stays.
        var pair = DiffieHellmanKeyPair.Generate(group);
        lock (_lock)
        {
            _current[group.Id] = (pair, now);
        }
        return pair;
    }
}
