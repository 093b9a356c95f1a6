using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Crypto;

/// <summary>
/// Stateless two-part RHello cookies (RFC 7016 §3.5.1.1.2: nothing is kept for an initiator until its cookie comes
/// back), for the gateway and for a client's peer responder. 64 bytes, the only size librtmfp accepts:
/// <code>
/// first part  (32): slot (u32) | SHA-256(tag)[0..12] | HMAC-SHA256(secret, "P" | slot | tag digest)[0..16]
/// second part (32): HMAC-SHA256(secret, "A" | first part | address)
/// </code>
/// The first part proves we made the cookie, whatever the address; the second binds it to the source of the IHello.
/// An authentic cookie from another address is a <see cref="CookieCheck.Mismatch"/>, answered with RHello Cookie
/// Change (§3.5.1.2) and a <see cref="Rebind">rebound</see> cookie. A cookie is valid in its slot and the next, so
/// for one to two <see cref="SlotLength"/>s (§3.5.1.1.2 asks for at least 95 s). The same IHello within a slot gets
/// the same cookie, so retransmissions stay idempotent. Times are the caller's clock in milliseconds; cookies made
/// by several hosts sharing a secret must use one clock (the gateways use Unix time). Thread-safe, allocation-free.
/// </summary>
public sealed class CookieJar
{
    public const int CookieLength = 64;
    private const int SlotBytes = 4;
    private const int DigestBytes = 12;
    private const int FirstMacOffset = SlotBytes + DigestBytes;
    private const int FirstPartLength = 32;

    private readonly byte[] _secret;
    private readonly long _slotMs;

    public CookieJar(ReadOnlySpan<byte> secret, TimeSpan slotLength)
    {
        if (secret.Length < 16)
        {
            throw new ArgumentException("cookie secret must be at least 16 bytes", nameof(secret));
        }
        if (slotLength < TimeSpan.FromMilliseconds(100))
        {
            throw new ArgumentOutOfRangeException(nameof(slotLength));
        }
        _secret = secret.ToArray();
        _slotMs = (long)slotLength.TotalMilliseconds;
        SlotLength = slotLength;
    }

    /// <summary>A cookie is accepted during its own slot and the next one.</summary>
    public TimeSpan SlotLength { get; }

    /// <summary>Writes the cookie for an IHello with <paramref name="tag"/> from <paramref name="address"/>.</summary>
    public void Create(ReadOnlySpan<byte> tag, SocketAddress address, long nowMs, Span<byte> cookie)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(tag, digest);
        Write(SlotAt(nowMs), digest[..DigestBytes], address, cookie);
    }

    /// <summary>
    /// The new cookie of an RHello Cookie Change (RFC 7016 §3.5.1.2) for an authentic <paramref name="cookie"/> that came
    /// from <paramref name="address"/>: the same IHello, this slot, bound to that address.
    /// </summary>
    public void Rebind(ReadOnlySpan<byte> cookie, SocketAddress address, long nowMs, Span<byte> newCookie)
    {
        if (cookie.Length != CookieLength)
        {
            throw new ArgumentException("not one of our cookies", nameof(cookie));
        }
        Span<byte> digest = stackalloc byte[DigestBytes];
        cookie.Slice(SlotBytes, DigestBytes).CopyTo(digest);
        Write(SlotAt(nowMs), digest, address, newCookie);
    }

    /// <summary>RFC 7016 §3.5.1.1.2: is <paramref name="cookie"/>, echoed from <paramref name="address"/>, ours, unexpired and bound there?</summary>
    public CookieCheck Check(ReadOnlySpan<byte> cookie, SocketAddress address, long nowMs)
    {
        if (cookie.Length != CookieLength)
        {
            return CookieCheck.Bad;
        }
        uint slot = BinaryPrimitives.ReadUInt32BigEndian(cookie);
        uint now = SlotAt(nowMs);
        if (slot != now && slot + 1 != now)
        {
            return CookieCheck.Bad; // expired, or from the future
        }
        Span<byte> mac = stackalloc byte[32];
        FirstPartMac(cookie[..FirstMacOffset], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac[..16], cookie[FirstMacOffset..FirstPartLength]))
        {
            return CookieCheck.Bad;
        }
        AddressMac(cookie[..FirstPartLength], address, mac);
        return CryptographicOperations.FixedTimeEquals(mac, cookie[FirstPartLength..]) ? CookieCheck.Valid : CookieCheck.Mismatch;
    }

    /// <summary>
    /// The session ID a cookie maps to (probe 0, 1, …): a keyed hash, so a retransmitted IIKeying
    /// reaches the same session entity on any gateway, and a colliding ID can be probed past.
    /// Never 0 (the startup pseudo-session, RFC 7016 §2.2.2).
    /// </summary>
    public uint SessionIdFor(ReadOnlySpan<byte> cookie, int probe)
    {
        Span<byte> input = stackalloc byte[CookieLength + 10];
        "sid"u8.CopyTo(input);
        BinaryPrimitives.WriteInt32BigEndian(input[3..], probe);
        int n = Math.Min(cookie.Length, CookieLength);
        cookie[..n].CopyTo(input[7..]);
        Span<byte> h = stackalloc byte[32];
        HMACSHA256.HashData(_secret, input[..(7 + n)], h);
        uint sid = BinaryPrimitives.ReadUInt32BigEndian(h);
        return sid == 0 ? 1u : sid;
    }

    /// <summary>A fresh random secret for a single host (a cluster must share one through configuration).</summary>
    public static byte[] NewSecret() => RandomNumberGenerator.GetBytes(32);

    /// <summary>Floor division: a time before 0 is a slot "before" 0, never slot 0.</summary>
    private uint SlotAt(long nowMs) => (uint)(nowMs >= 0 ? nowMs / _slotMs : ((nowMs + 1) / _slotMs) - 1);

    private void Write(uint slot, ReadOnlySpan<byte> digest, SocketAddress address, Span<byte> cookie)
    {
        if (cookie.Length < CookieLength)
        {
            throw new ArgumentException("cookie span too small", nameof(cookie));
        }
        BinaryPrimitives.WriteUInt32BigEndian(cookie, slot);
        digest.CopyTo(cookie[SlotBytes..]);
        Span<byte> mac = stackalloc byte[32];
        FirstPartMac(cookie[..FirstMacOffset], mac);
        mac[..16].CopyTo(cookie[FirstMacOffset..]);
        AddressMac(cookie[..FirstPartLength], address, cookie.Slice(FirstPartLength, 32));
    }

    private void FirstPartMac(ReadOnlySpan<byte> slotAndDigest, Span<byte> mac)
    {
        Span<byte> input = stackalloc byte[1 + FirstMacOffset];
        input[0] = (byte)'P';
        slotAndDigest.CopyTo(input[1..]);
        HMACSHA256.HashData(_secret, input, mac);
    }

    /// <summary>The address in its wire form (RFC 7016 §2.1.5), an IPv4-mapped IPv6 address as IPv4.</summary>
    private void AddressMac(ReadOnlySpan<byte> firstPart, SocketAddress address, Span<byte> mac)
    {
        Span<byte> input = stackalloc byte[1 + FirstPartLength + Address.IPv6Length];
        input[0] = (byte)'A';
        firstPart.CopyTo(input[1..]);
        int n = Address.TryFromSocketAddress(address, AddressOrigin.Unknown, out var a) ? a.UnmapIPv4().Write(input[(1 + FirstPartLength)..]) : 0;
        HMACSHA256.HashData(_secret, input[..(1 + FirstPartLength + n)], mac);
    }
}
