using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Rtmfp.Shared.Limits;

namespace Rtmfp.Gateway;

/// <summary>
/// Per-source accounting of the gateway's startup traffic (RFC 7016 §3.5.1 and §5: a responder answers packets whose
/// source address it cannot verify, so what it sends back must not make it an amplifier for forged sources):
/// <list type="bullet">
/// <item>bytes sent to an address that has not proven it receives what we send (echoed one of our cookies,
/// RFC 7016 §3.5.1.1.2, or holds a session) stay within <see cref="GatewaySourceLimits.AmplificationFactor"/> times the
/// bytes received from it;</item>
/// <item>RHellos, keying jobs and rendezvous lookups are rate-bounded per address and per prefix (/24, /64), each
/// source with its own bucket so one flood does not use up another source's budget.</item>
/// </list>
/// Fixed, preallocated tables indexed by a keyed hash of the address (a random seed per process): bounded memory and no
/// allocation per datagram. A slot taken over by another address starts afresh with no credit of bytes, so losing an
/// entry never lets more bytes out. Thread-safe.
/// </summary>
internal sealed class SourceGuard
{
    /// <summary>An address that echoed a valid cookie or opened a session is verified for this long (refreshed by each).</summary>
    public const long VerifiedMs = 10 * 60_000;

    /// <summary>An entry unused for this long starts afresh.</summary>
    private const long IdleMs = 5 * 60_000;

    public enum Budget
    {
        Hello,
        Handshake,
        Lookup,
    }

    private struct Slot
    {
        public UInt128 Key;
        public bool Used;
        public long LastMs;
        public long BytesIn;
        public long BytesOut;
        public long VerifiedUntilMs;
        public RateBucket Hellos;
        public RateBucket Handshakes;
        public RateBucket Lookups;
        public RateBucket Bytes;
    }

    private readonly GatewaySourceLimits _limits;
    private readonly Slot[] _addresses;
    private readonly Slot[] _prefixes;
    private readonly int _seed = Random.Shared.Next();
    private readonly Lock _lock = new();
    private long _refusedBytes;

    public SourceGuard(GatewaySourceLimits limits, int addressSlots = 16384, int prefixSlots = 4096)
    {
        _limits = limits;
        _addresses = new Slot[addressSlots];
        _prefixes = new Slot[prefixSlots];
    }

    /// <summary>Bytes not sent because the address had not earned them (a forged source, or an attacker's own).</summary>
    public long RefusedBytes => Interlocked.Read(ref _refusedBytes);

    /// <summary>A startup datagram of <paramref name="bytes"/> came from <paramref name="from"/>.</summary>
    public void Received(SocketAddress from, int bytes, long nowMs)
    {
        if (!TryKey(from, out var key, out _))
        {
            return;
        }
        lock (_lock)
        {
            ref var slot = ref Find(_addresses, key, nowMs);
            slot.BytesIn += bytes;
        }
    }

    /// <summary><paramref name="address"/> echoed a valid cookie (RFC 7016 §3.5.1.1.2) or holds a session: it receives what we send.</summary>
    public void Verify(SocketAddress address, long nowMs)
    {
        if (!TryKey(address, out var key, out _))
        {
            return;
        }
        lock (_lock)
        {
            Find(_addresses, key, nowMs).VerifiedUntilMs = nowMs + VerifiedMs;
        }
    }

    /// <summary>
    /// May a startup datagram of <paramref name="bytes"/> go to <paramref name="to"/>? Always for a verified address;
    /// otherwise while bytes sent stay within the amplification factor of bytes received (RFC 7016 §5) and within the
    /// unverified bytes per second of the address and of its prefix. Charged when true.
    /// </summary>
    public bool TrySend(SocketAddress to, int bytes, long nowMs) => TrySend(to, bytes, nowMs, out _);

    /// <inheritdoc cref="TrySend(SocketAddress, int, long)"/>
    /// <param name="refusal">Why not (a <see cref="Rtmfp.Shared.Telemetry.StartupRefusals"/> value); null when sent.</param>
    public bool TrySend(SocketAddress to, int bytes, long nowMs, out string? refusal)
    {
        if (!TryKey(to, out var key, out var prefix))
        {
            refusal = Rtmfp.Shared.Telemetry.StartupRefusals.Amplification;
            return false;
        }
        lock (_lock)
        {
            ref var slot = ref Find(_addresses, key, nowMs);
            if (slot.VerifiedUntilMs > nowMs)
            {
                // It echoed a cookie bound to it: it receives what we send, so neither bound applies (clients behind
                // one NAT share the address, and one of them proving it frees the others, docs/decisions.md).
                slot.BytesOut += bytes;
                refusal = null;
                return true;
            }
            if (slot.BytesOut + bytes > slot.BytesIn * _limits.AmplificationFactor)
            {
                refusal = Rtmfp.Shared.Telemetry.StartupRefusals.Amplification;
            }
            else
            {
                ref var a = ref slot.Bytes;
                ref var p = ref Find(_prefixes, prefix, nowMs).Bytes;
                // A byte bucket holds one second's worth: over any T seconds at most (T + 1) × rate leaves.
                Refill(ref a, _limits.UnverifiedBytesPerAddress, _limits.UnverifiedBytesPerAddress, nowMs);
                Refill(ref p, _limits.UnverifiedBytesPerPrefix, _limits.UnverifiedBytesPerPrefix, nowMs);
                if (a.Tokens < bytes || p.Tokens < bytes)
                {
                    refusal = Rtmfp.Shared.Telemetry.StartupRefusals.ByteBudget;
                }
                else
                {
                    a.Tokens -= bytes;
                    p.Tokens -= bytes;
                    slot.BytesOut += bytes;
                    refusal = null;
                    return true;
                }
            }
            _refusedBytes += bytes;
            return false;
        }
    }

    /// <summary>Takes one token of <paramref name="budget"/> from the address's bucket and its prefix's; false (nothing taken) when either is empty.</summary>
    public bool TryTake(Budget budget, SocketAddress from, long nowMs)
    {
        if (!TryKey(from, out var key, out var prefix))
        {
            return false;
        }
        var (perAddress, perPrefix) = budget switch
        {
            Budget.Hello => (_limits.HellosPerAddress, _limits.HellosPerPrefix),
            Budget.Handshake => (_limits.HandshakesPerAddress, _limits.HandshakesPerPrefix),
            _ => (_limits.LookupsPerAddress, _limits.LookupsPerPrefix),
        };
        lock (_lock)
        {
            ref var a = ref BucketOf(ref Find(_addresses, key, nowMs), budget);
            ref var p = ref BucketOf(ref Find(_prefixes, prefix, nowMs), budget);
            Refill(ref a, perAddress, Math.Max(1, perAddress * 2), nowMs);
            Refill(ref p, perPrefix, Math.Max(1, perPrefix * 2), nowMs);
            if (a.Tokens < 1 || p.Tokens < 1)
            {
                return false;
            }
            a.Tokens -= 1;
            p.Tokens -= 1;
            return true;
        }
    }

    /// <summary>
    /// The address as a 128-bit key (IPv4 as IPv4-mapped IPv6, so both spellings of one address are one source) and its
    /// prefix: the /24 of an IPv4 address, the /64 of an IPv6 one.
    /// </summary>
    public static bool TryKey(SocketAddress address, out UInt128 key, out UInt128 prefix)
    {
        var buffer = address.Buffer.Span[..address.Size];
        switch (address.Family)
        {
            case AddressFamily.InterNetwork when buffer.Length >= 8:
                key = ((UInt128)0xFFFF << 32) | BinaryPrimitives.ReadUInt32BigEndian(buffer[4..]);
                break;
            case AddressFamily.InterNetworkV6 when buffer.Length >= 24:
                key = BinaryPrimitives.ReadUInt128BigEndian(buffer[8..]);
                break;
            default:
                key = prefix = default;
                return false;
        }
        bool ipv4 = key >> 32 == 0xFFFF;
        prefix = ipv4 ? key & ~(UInt128)0xFF : key & (UInt128.MaxValue << 64);
        return true;
    }

    private static ref RateBucket BucketOf(ref Slot slot, Budget budget)
    {
        switch (budget)
        {
            case Budget.Hello:
                return ref slot.Hellos;
            case Budget.Handshake:
                return ref slot.Handshakes;
            default:
                return ref slot.Lookups;
        }
    }

    /// <summary>Refills at <paramref name="ratePerSecond"/> up to <paramref name="burst"/>; a fresh bucket is full.</summary>
    private static void Refill(ref RateBucket bucket, double ratePerSecond, double burst, long nowMs)
    {
        if (bucket.LastMs == 0)
        {
            bucket = RateBucket.Full(burst, nowMs); // a slot's bucket not used yet
        }
        else
        {
            bucket.Refill(ratePerSecond, burst, nowMs);
        }
    }

    private ref Slot Find(Slot[] table, UInt128 key, long nowMs)
    {
        ref var slot = ref table[(int)((uint)HashCode.Combine(_seed, key) % (uint)table.Length)];
        if (!slot.Used || slot.Key != key || nowMs - slot.LastMs > IdleMs)
        {
            slot = default;
            slot.Used = true;
            slot.Key = key;
        }
        slot.LastMs = nowMs;
        return ref slot;
    }
}
