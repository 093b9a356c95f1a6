using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;

namespace Rtmfp.Engine.Handshake;

/// <summary>
/// Stateless two-part RHello cookies for a peer responder (RFC 7016 §3.5.1.1.2, §3.5.1.2):
/// <c>issuedMs (u64) | nonce (8) | HMAC(secret, "P" | issuedMs | nonce)[0..16]</c> proves we made it, and
/// <c>HMAC(secret, "A" | firstPart | address)[0..32]</c> binds it to the IHello source, so a cookie that is
/// authentic but bound elsewhere is recognised and answered with a Cookie Change. 64 bytes (librtmfp's size).
/// </summary>
public sealed class PeerCookie
{
    public const int Length = HandshakeTimings.CookieLength;
    private const int FirstPartLength = 32;

    private readonly byte[] _secret;

    public PeerCookie(ReadOnlySpan<byte> secret, long lifetimeMs = 120_000)
    {
        if (secret.Length < 16)
        {
            throw new ArgumentException("cookie secret must be at least 16 bytes", nameof(secret));
        }
        // RFC 7016 §3.5.1.1.2: lifetime SHOULD NOT be less than the 95 s open timeout.
        if (lifetimeMs < HandshakeTimings.UltimateOpenTimeoutMs)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetimeMs));
        }
        _secret = secret.ToArray();
        LifetimeMs = lifetimeMs;
    }

    public long LifetimeMs { get; }

    public void Create(SocketAddress address, long nowMs, Span<byte> cookie)
    {
        if (cookie.Length < Length)
        {
            throw new ArgumentException("cookie span too small", nameof(cookie));
        }
        BinaryPrimitives.WriteInt64BigEndian(cookie, nowMs);
        RandomNumberGenerator.Fill(cookie.Slice(8, 8));
        Span<byte> mac = stackalloc byte[32];
        FirstPartMac(cookie[..16], mac);
        mac[..16].CopyTo(cookie[16..]);
        AddressMac(cookie[..FirstPartLength], address, cookie.Slice(FirstPartLength, 32));
    }

    public byte[] Create(SocketAddress address, long nowMs)
    {
        var cookie = new byte[Length];
        Create(address, nowMs, cookie);
        return cookie;
    }

    public CookieCheck Check(ReadOnlySpan<byte> cookie, SocketAddress address, long nowMs)
    {
        if (cookie.Length != Length)
        {
            return CookieCheck.Bad;
        }
        long issued = BinaryPrimitives.ReadInt64BigEndian(cookie);
        if (issued > nowMs || nowMs - issued > LifetimeMs)
        {
            return CookieCheck.Bad;
        }
        Span<byte> mac = stackalloc byte[32];
        FirstPartMac(cookie[..16], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac[..16], cookie.Slice(16, 16)))
        {
            return CookieCheck.Bad;
        }
        AddressMac(cookie[..FirstPartLength], address, mac);
        return CryptographicOperations.FixedTimeEquals(mac, cookie.Slice(FirstPartLength, 32)) ? CookieCheck.Valid : CookieCheck.Mismatch;
    }

    private void FirstPartMac(ReadOnlySpan<byte> issuedAndNonce, Span<byte> mac)
    {
        Span<byte> input = stackalloc byte[17];
        input[0] = (byte)'P';
        issuedAndNonce.CopyTo(input[1..]);
        HMACSHA256.HashData(_secret, input, mac);
    }

    private void AddressMac(ReadOnlySpan<byte> firstPart, SocketAddress address, Span<byte> mac)
    {
        Span<byte> input = stackalloc byte[1 + FirstPartLength + 19];
        input[0] = (byte)'A';
        firstPart.CopyTo(input[1..]);
        int n = EndpointAddress.WriteBinding(address, input[(1 + FirstPartLength)..]);
        HMACSHA256.HashData(_secret, input[..(1 + FirstPartLength + n)], mac);
    }
}
