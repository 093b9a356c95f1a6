using Rtmfp.Cluster;
using System.Buffers.Binary;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Gateway.Handshake;

/// <summary>
/// Remembers, best effort, the EPD of recent IHellos by the cookie we answered with, because the IIKeying
/// does not repeat it (RFC 7016 §2.3.7). Fixed, preallocated slots overwritten by cookie hash: no allocation
/// per IHello and bounded memory under a flood (entries are then lost, never grown). A miss — evicted, or the
/// IHello went to another gateway — only means the EPD is unknown; Flash clients repeat the URI in connect.
/// Thread-safe.
/// </summary>
internal sealed class EndpointDiscriminatorCache
{
    /// <summary>Longer EPDs are not cached.</summary>
    public const int MaxEpdLength = 512;

    private const int SlotLength = CookieJar.CookieLength + 2 + MaxEpdLength;

    private readonly byte[] _slots;
    private readonly int _count;
    private readonly Lock _gate = new();

    public EndpointDiscriminatorCache(int slots = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        _count = slots;
        _slots = new byte[slots * SlotLength];
    }

    public void Store(ReadOnlySpan<byte> cookie, ReadOnlySpan<byte> epd)
    {
        if (cookie.Length != CookieJar.CookieLength || epd.Length > MaxEpdLength)
        {
            return;
        }
        var slot = Slot(cookie);
        lock (_gate)
        {
            cookie.CopyTo(slot);
            BinaryPrimitives.WriteUInt16BigEndian(slot[CookieJar.CookieLength..], (ushort)epd.Length);
            epd.CopyTo(slot[(CookieJar.CookieLength + 2)..]);
        }
    }

    /// <summary>The EPD stored for this cookie, or null.</summary>
    public byte[]? Find(ReadOnlySpan<byte> cookie)
    {
        if (cookie.Length != CookieJar.CookieLength)
        {
            return null;
        }
        var slot = Slot(cookie);
        lock (_gate)
        {
            if (!slot[..CookieJar.CookieLength].SequenceEqual(cookie))
            {
                return null;
            }
            int length = BinaryPrimitives.ReadUInt16BigEndian(slot[CookieJar.CookieLength..]);
            return slot.Slice(CookieJar.CookieLength + 2, length).ToArray();
        }
    }

    // The last cookie bytes are HMAC output, uniformly distributed.
    private Span<byte> Slot(ReadOnlySpan<byte> cookie) =>
        _slots.AsSpan((int)(BinaryPrimitives.ReadUInt32BigEndian(cookie[^4..]) % (uint)_count) * SlotLength, SlotLength);
}
