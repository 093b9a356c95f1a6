using Rtmfp.Cluster;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Rtmfp.Gateway.Handshake;

/// <summary>
/// Stateless RHello cookies (RFC 7016 §3.5.1.1.2, §5.2: nothing is kept for a peer until it proves it
/// receives at its address). A cookie is
/// <c>slot (u32) | SHA-256(tag)[0..28] | HMAC-SHA256(K_slot, slot | tagDigest | address)</c>, 64 bytes,
/// where <c>K_slot = HMAC-SHA256(clusterSecret, "cookie" | slot)</c> rotates every <see cref="SlotLength"/>.
/// The same IHello within a slot gets the same cookie, so retransmissions stay idempotent.
/// 64 bytes because librtmfp accepts no other size (docs/peers.md).
/// </summary>
public sealed class CookieJar
{
    public const int CookieLength = 64;
    private const int SlotBytes = 4;
    private const int TagDigestBytes = 28;
    private const int MacOffset = SlotBytes + TagDigestBytes;

    private readonly byte[] _clusterSecret;
    private readonly Func<long> _unixMs;
    private readonly long _slotMs;

    public CookieJar(ReadOnlySpan<byte> clusterSecret, TimeSpan slotLength, Func<long>? unixMs = null)
    {
        if (clusterSecret.Length < 16)
        {
            throw new ArgumentException("cluster secret must be at least 16 bytes", nameof(clusterSecret));
        }
        if (slotLength < TimeSpan.FromMilliseconds(100))
        {
            throw new ArgumentOutOfRangeException(nameof(slotLength));
        }
        _clusterSecret = clusterSecret.ToArray();
        _slotMs = (long)slotLength.TotalMilliseconds;
        _unixMs = unixMs ?? (() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        SlotLength = slotLength;
    }

    /// <summary>A cookie is accepted during its own slot and the next one.</summary>
    public TimeSpan SlotLength { get; }

    private uint CurrentSlot => (uint)(_unixMs() / _slotMs);

    /// <summary>Writes the cookie for an IHello with <paramref name="tag"/> from <paramref name="client"/>.</summary>
    public void Create(ReadOnlySpan<byte> tag, SocketAddress client, Span<byte> cookie)
    {
        if (cookie.Length < CookieLength)
        {
            throw new ArgumentException("cookie span too small", nameof(cookie));
        }
        uint slot = CurrentSlot;
        BinaryPrimitives.WriteUInt32BigEndian(cookie, slot);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(tag, digest);
        digest[..TagDigestBytes].CopyTo(cookie[SlotBytes..]);
        ComputeMac(slot, cookie[..MacOffset], client, cookie.Slice(MacOffset, 32));
    }

    /// <summary>True when <paramref name="cookie"/> was made by this cluster for <paramref name="client"/> in the current or previous slot.</summary>
    public bool Verify(ReadOnlySpan<byte> cookie, SocketAddress client)
    {
        if (cookie.Length != CookieLength)
        {
            return false;
        }
        uint slot = BinaryPrimitives.ReadUInt32BigEndian(cookie);
        uint now = CurrentSlot;
        if (slot != now && slot + 1 != now)
        {
            return false;
        }
        Span<byte> mac = stackalloc byte[32];
        ComputeMac(slot, cookie[..MacOffset], client, mac);
        return CryptographicOperations.FixedTimeEquals(mac, cookie.Slice(MacOffset, 32));
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
        HMACSHA256.HashData(_clusterSecret, input[..(7 + n)], h);
        uint sid = BinaryPrimitives.ReadUInt32BigEndian(h);
        return sid == 0 ? 1u : sid;
    }

    private void ComputeMac(uint slot, ReadOnlySpan<byte> slotAndDigest, SocketAddress client, Span<byte> mac)
    {
        Span<byte> slotKeyInput = stackalloc byte[10];
        "cookie"u8.CopyTo(slotKeyInput);
        BinaryPrimitives.WriteUInt32BigEndian(slotKeyInput[6..], slot);
        Span<byte> slotKey = stackalloc byte[32];
        HMACSHA256.HashData(_clusterSecret, slotKeyInput, slotKey);

        Span<byte> input = stackalloc byte[MacOffset + 2 + 16 + 4];
        slotAndDigest.CopyTo(input);
        int len = MacOffset + WriteAddress(client, input[MacOffset..]);
        HMACSHA256.HashData(slotKey, input[..len], mac);
    }

    /// <summary>Family, port and address bytes of a socket address (IPv4-mapped IPv6 normalized to IPv4).</summary>
    private static int WriteAddress(SocketAddress address, Span<byte> destination)
    {
        var buffer = address.Buffer.Span;
        if (address.Family == AddressFamily.InterNetwork)
        {
            // sockaddr_in: family(2) port(2, network order) addr(4)
            destination[0] = 4;
            destination[1] = 0;
            buffer.Slice(2, 2).CopyTo(destination[2..]);
            buffer.Slice(4, 4).CopyTo(destination[4..]);
            return 8;
        }
        // sockaddr_in6: family(2) port(2) flowinfo(4) addr(16) scope(4)
        var ip = buffer.Slice(8, 16);
        bool mapped = ip[..10].IndexOfAnyExcept((byte)0) < 0 && ip[10] == 0xff && ip[11] == 0xff;
        destination[0] = mapped ? (byte)4 : (byte)6;
        destination[1] = 0;
        buffer.Slice(2, 2).CopyTo(destination[2..]);
        if (mapped)
        {
            ip[12..].CopyTo(destination[4..]);
            return 8;
        }
        ip.CopyTo(destination[4..]);
        return 20;
    }

    /// <summary>A fresh random secret for a single node (a cluster must share one through configuration).</summary>
    public static byte[] NewSecret() => RandomNumberGenerator.GetBytes(32);

    /// <summary>Test helper: the SocketAddress of an endpoint.</summary>
    public static SocketAddress ToSocketAddress(IPEndPoint endpoint) => endpoint.Serialize();
}
