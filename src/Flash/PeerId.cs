using System.Buffers.Binary;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Flash;

/// <summary>
/// A Flash peer ID: the 32-byte SHA-256 fingerprint of an endpoint's certificate (RFC 7425 §4.3.2),
/// stored inline so the directory can be keyed by it and looked up from a span without allocating.
/// </summary>
public readonly struct PeerId : IEquatable<PeerId>
{
    /// <summary>A peer ID is the SHA-256 fingerprint of the peer's certificate (RFC 7425 §4.3.2).</summary>
    public const int Length = FlashCertificate.FingerprintLength;

    private readonly ulong _a, _b, _c, _d;

    private PeerId(ulong a, ulong b, ulong c, ulong d)
    {
        _a = a;
        _b = b;
        _c = c;
        _d = d;
    }

    /// <summary>Reads a fingerprint; false unless exactly 32 bytes.</summary>
    public static bool TryCreate(ReadOnlySpan<byte> fingerprint, out PeerId peerId)
    {
        if (fingerprint.Length != Length)
        {
            peerId = default;
            return false;
        }
        peerId = new PeerId(
            BinaryPrimitives.ReadUInt64BigEndian(fingerprint),
            BinaryPrimitives.ReadUInt64BigEndian(fingerprint[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(fingerprint[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(fingerprint[24..]));
        return true;
    }

    public static PeerId FromBytes(ReadOnlySpan<byte> fingerprint) =>
        TryCreate(fingerprint, out var id) ? id : throw new ArgumentException("a peer ID is 32 bytes", nameof(fingerprint));

    public void CopyTo(Span<byte> destination)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException("destination too small for a peer ID", nameof(destination));
        }
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        CopyTo(bytes);
        return bytes;
    }

    public bool Equals(PeerId other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;
    public override bool Equals(object? obj) => obj is PeerId other && Equals(other);
    public override int GetHashCode() => HashCode.Combine(_a, _b, _c, _d);
    public static bool operator ==(PeerId left, PeerId right) => left.Equals(right);
    public static bool operator !=(PeerId left, PeerId right) => !left.Equals(right);

    /// <summary>Lower-case hex, as Flash shows it in NetConnection.nearID/farID.</summary>
    public override string ToString() => Convert.ToHexStringLower(ToArray());
}
