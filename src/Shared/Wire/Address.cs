using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Rtmfp.Shared.Wire;

/// <summary>
/// Internet socket address with origin tag (RFC 7016 §2.1.5): flags u8 (0x80 IPv6, 0x7C reserved,
/// 0x03 origin), 4 or 16 address bytes, port u16. Stored inline: no allocation to read, write or compare.
/// </summary>
public readonly struct Address : IEquatable<Address>
{
    private const byte InetV6Flag = 0x80;
    private const byte OriginMask = 0x03;

    /// <summary>Encoded size of an IPv4 address: flags + 4 + port.</summary>
    public const int IPv4Length = 7;
    /// <summary>Encoded size of an IPv6 address: flags + 16 + port.</summary>
    public const int IPv6Length = 19;

    // Address bytes in network order; an IPv4 address is the low 32 bits.
    private readonly UInt128 _ip;

    private Address(bool isIPv6, UInt128 ip, ushort port, AddressOrigin origin)
    {
        IsIPv6 = isIPv6;
        _ip = ip;
        Port = port;
        Origin = origin;
    }

    public bool IsIPv6 { get; }
    public ushort Port { get; }
    public AddressOrigin Origin { get; }

    public int Length => IsIPv6 ? IPv6Length : IPv4Length;

    /// <summary>An IPv4 address given as its 32-bit network-order value (e.g. 0x7F000001 for 127.0.0.1).</summary>
    public static Address FromIPv4(uint address, ushort port, AddressOrigin origin = AddressOrigin.Unknown)
        => new(false, address, port, CheckOrigin(origin));

    /// <summary>An IPv4 (4 bytes) or IPv6 (16 bytes) address from its network-order bytes.</summary>
    public static Address FromBytes(ReadOnlySpan<byte> address, ushort port, AddressOrigin origin = AddressOrigin.Unknown)
    {
        return address.Length switch
        {
            4 => new Address(false, BinaryPrimitives.ReadUInt32BigEndian(address), port, CheckOrigin(origin)),
            16 => new Address(true, BinaryPrimitives.ReadUInt128BigEndian(address), port, CheckOrigin(origin)),
            _ => throw new ArgumentException("address must be 4 or 16 bytes", nameof(address)),
        };
    }

    public static Address FromIPEndPoint(IPEndPoint endPoint, AddressOrigin origin = AddressOrigin.Unknown)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!endPoint.Address.TryWriteBytes(bytes, out int written))
        {
            throw new ArgumentException("unsupported address", nameof(endPoint));
        }
        return FromBytes(bytes[..written], (ushort)endPoint.Port, origin);
    }

    /// <summary>
    /// Reads an IPv4/IPv6 <see cref="SocketAddress"/> (e.g. filled by Socket.ReceiveFrom) without allocating.
    /// Uses the portable sockaddr_in/sockaddr_in6 layout: port at 2, IPv4 at 4, IPv6 at 8.
    /// </summary>
    public static bool TryFromSocketAddress(SocketAddress socketAddress, AddressOrigin origin, out Address address)
    {
        var buffer = socketAddress.Buffer.Span[..socketAddress.Size];
        switch (socketAddress.Family)
        {
            case AddressFamily.InterNetwork when buffer.Length >= 8:
                address = new Address(false, BinaryPrimitives.ReadUInt32BigEndian(buffer[4..]),
                    BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]), CheckOrigin(origin));
                return true;
            case AddressFamily.InterNetworkV6 when buffer.Length >= 24:
                address = new Address(true, BinaryPrimitives.ReadUInt128BigEndian(buffer[8..]),
                    BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]), CheckOrigin(origin));
                return true;
            default:
                address = default;
                return false;
        }
    }

    /// <summary>Writes this address into a <see cref="SocketAddress"/> of the matching family (reusable for SendTo without allocating).</summary>
    public void WriteTo(SocketAddress socketAddress)
    {
        var family = IsIPv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        if (socketAddress.Family != family)
        {
            throw new ArgumentException("socket address family does not match", nameof(socketAddress));
        }
        var buffer = socketAddress.Buffer.Span;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], Port);
        if (IsIPv6)
        {
            buffer.Slice(4, 4).Clear(); // flow info
            BinaryPrimitives.WriteUInt128BigEndian(buffer[8..], _ip);
            buffer.Slice(24, 4).Clear(); // scope id
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], (uint)_ip);
        }
    }

    public SocketAddress ToSocketAddress()
    {
        var sa = new SocketAddress(IsIPv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork);
        WriteTo(sa);
        return sa;
    }

    public IPEndPoint ToIPEndPoint()
    {
        Span<byte> bytes = stackalloc byte[16];
        int n = CopyAddressBytes(bytes);
        return new IPEndPoint(new IPAddress(bytes[..n]), Port);
    }

    /// <summary>Copies the 4 or 16 network-order address bytes and returns how many.</summary>
    public int CopyAddressBytes(Span<byte> destination)
    {
        if (IsIPv6)
        {
            BinaryPrimitives.WriteUInt128BigEndian(destination, _ip);
            return 16;
        }
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)_ip);
        return 4;
    }

    /// <summary>True for ::ffff:a.b.c.d, as dual-stack sockets report IPv4 peers.</summary>
    public bool IsIPv4MappedIPv6 => IsIPv6 && (_ip >> 32) == 0xFFFF;

    /// <summary>The plain IPv4 form of an IPv4-mapped IPv6 address; otherwise this address.</summary>
    public Address UnmapIPv4() => IsIPv4MappedIPv6 ? new Address(false, (uint)_ip, Port, Origin) : this;

    /// <summary>The IPv4-mapped IPv6 form of an IPv4 address (for sending on a dual-stack socket); otherwise this address.</summary>
    public Address MapToIPv6() => IsIPv6 ? this : new Address(true, ((UInt128)0xFFFF << 32) | _ip, Port, Origin);

    public Address WithOrigin(AddressOrigin origin) => new(IsIPv6, _ip, Port, CheckOrigin(origin));

    /// <summary>Same IP address and port, ignoring the origin tag.</summary>
    public bool EndpointEquals(Address other) => IsIPv6 == other.IsIPv6 && _ip == other._ip && Port == other.Port;

    /// <summary>Reads an address at the start of <paramref name="source"/>. Reserved flag bits are ignored.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out Address address, out int consumed)
    {
        address = default;
        consumed = 0;
        if (source.IsEmpty)
        {
            return false;
        }
        byte flags = source[0];
        bool isIPv6 = (flags & InetV6Flag) != 0;
        int length = isIPv6 ? IPv6Length : IPv4Length;
        if (source.Length < length)
        {
            return false;
        }
        // Flags, the address (16 or 4 bytes), then the port: its last two bytes.
        UInt128 ip = isIPv6 ? BinaryPrimitives.ReadUInt128BigEndian(source[1..]) : BinaryPrimitives.ReadUInt32BigEndian(source[1..]);
        ushort port = BinaryPrimitives.ReadUInt16BigEndian(source[(length - 2)..]);
        address = new Address(isIPv6, ip, port, (AddressOrigin)(flags & OriginMask));
        consumed = length;
        return true;
    }

    public static bool TryRead(scoped ref WireReader reader, out Address address)
    {
        if (!TryRead(reader.RemainingSpan, out address, out int consumed))
        {
            return false;
        }
        reader.TryReadBytes(consumed, out _);
        return true;
    }

    public void Write(ref WireWriter writer)
    {
        writer.WriteByte((byte)((IsIPv6 ? InetV6Flag : 0) | (byte)Origin));
        if (IsIPv6)
        {
            BinaryPrimitives.WriteUInt128BigEndian(writer.Reserve(16), _ip);
        }
        else
        {
            writer.WriteUInt32((uint)_ip);
        }
        writer.WriteUInt16(Port);
    }

    /// <summary>Writes the address at the start of <paramref name="destination"/> and returns its length.</summary>
    public int Write(Span<byte> destination)
    {
        var writer = new WireWriter(destination);
        Write(ref writer);
        return writer.Position;
    }

    public bool Equals(Address other) => EndpointEquals(other) && Origin == other.Origin;
    public override bool Equals(object? obj) => obj is Address other && Equals(other);
    public override int GetHashCode() => HashCode.Combine(IsIPv6, _ip, Port, Origin);
    public static bool operator ==(Address left, Address right) => left.Equals(right);
    public static bool operator !=(Address left, Address right) => !left.Equals(right);

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[16];
        int n = CopyAddressBytes(bytes);
        var ip = new IPAddress(bytes[..n]);
        return IsIPv6 ? $"[{ip}]:{Port}" : $"{ip}:{Port}";
    }

    private static AddressOrigin CheckOrigin(AddressOrigin origin)
        => (byte)origin <= OriginMask ? origin : throw new ArgumentOutOfRangeException(nameof(origin));
}
