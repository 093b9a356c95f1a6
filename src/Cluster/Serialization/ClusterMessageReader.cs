using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Cluster;

/// <summary>
/// Reads what <see cref="ClusterMessageWriter"/> wrote. Bytes from another node are still input: every
/// read checks the remaining length and value ranges and throws <see cref="SerializationException"/>
/// (which Akka remoting reports and drops), never returning a partly read message.
/// </summary>
internal ref struct ClusterMessageReader
{
    /// <summary>sockaddr_in6 is 28 bytes; nothing a gateway uses is larger than sockaddr_storage.</summary>
    private const int MaxSocketAddressSize = 128;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private WireReader _reader;
    private readonly string _manifest;
    private readonly ExtendedActorSystem? _system;

    /// <param name="system">Resolves actor references; without it <see cref="ReadActorRef"/> fails.</param>
    public ClusterMessageReader(ReadOnlySpan<byte> bytes, string manifest, ExtendedActorSystem? system = null)
    {
        _reader = new WireReader(bytes);
        _manifest = manifest;
        _system = system;
    }

    public readonly SerializationException Error(string what) => new($"malformed cluster message '{_manifest}': {what}");

    public byte ReadByte() => _reader.TryReadByte(out byte b) ? b : throw Error("truncated");

    public bool ReadBool() => ReadByte() switch
    {
        0 => false,
        1 => true,
        _ => throw Error("boolean out of range"),
    };

    public ushort ReadUInt16() => _reader.TryReadUInt16(out ushort v) ? v : throw Error("truncated");

    public uint ReadUInt32() => _reader.TryReadUInt32(out uint v) ? v : throw Error("truncated");

    public ulong ReadUInt64()
    {
        if (!_reader.TryReadBytes(8, out var bytes))
        {
            throw Error("truncated");
        }
        return BinaryPrimitives.ReadUInt64BigEndian(bytes);
    }

    public long ReadInt64() => (long)ReadUInt64();

    public ulong ReadVlu() => _reader.TryReadVlu(out ulong n) ? n : throw Error("truncated number");

    /// <summary>A length that must fit in what is left of the message.</summary>
    public int ReadLength()
    {
        if (!_reader.TryReadVlu(out ulong n))
        {
            throw Error("truncated length");
        }
        if (n > (ulong)_reader.Remaining)
        {
            throw Error("length overruns the message");
        }
        return (int)n;
    }

    public ReadOnlySpan<byte> ReadSpan()
    {
        int n = ReadLength();
        _reader.TryReadBytes(n, out var bytes);
        return bytes;
    }

    public byte[] ReadByteArray() => ReadSpan().ToArray();

    /// <summary>
    /// A VLU count, then that many elements read by <paramref name="readElement"/>. A count above <paramref name="max"/>
    /// is malformed ("too many <paramref name="what"/>"): another node's bytes never size an allocation beyond the bound.
    /// </summary>
    public T[] ReadArray<T>(int max, string what, ProtocolMessages.Reader<T> readElement)
    {
        ulong count = ReadVlu();
        if (count > (ulong)max)
        {
            throw Error("too many " + what);
        }
        var items = new T[count];
        for (int i = 0; i < items.Length; i++)
        {
            items[i] = readElement(ref this);
        }
        return items;
    }

    /// <summary>A byte string whose length must lie in [<paramref name="minLength"/>, <paramref name="maxLength"/>].</summary>
    public byte[] ReadByteArray(int minLength, int maxLength)
    {
        var span = ReadSpan();
        if (span.Length < minLength || span.Length > maxLength)
        {
            throw Error("byte string length out of range");
        }
        return span.ToArray();
    }

    public string ReadString() => Decode(ReadSpan());

    public string? ReadNullableString()
    {
        if (!_reader.TryReadVlu(out ulong n))
        {
            throw Error("truncated length");
        }
        if (n == 0)
        {
            return null;
        }
        if (n - 1 > (ulong)_reader.Remaining)
        {
            throw Error("length overruns the message");
        }
        _reader.TryReadBytes((int)(n - 1), out var bytes);
        return Decode(bytes);
    }

    public SocketAddress ReadSocketAddress()
    {
        var family = (AddressFamily)ReadUInt16();
        if (family is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw Error("address family");
        }
        var raw = ReadSpan();
        if (raw.Length < 2 || raw.Length > MaxSocketAddressSize)
        {
            throw Error("socket address size");
        }
        var address = new SocketAddress(family, raw.Length);
        raw.CopyTo(address.Buffer.Span);
        // The family is also inside the raw bytes: both must agree.
        if (address.Family != family)
        {
            throw Error("socket address family mismatch");
        }
        return address;
    }

    /// <summary>An actor reference written as its serialized path by <see cref="ClusterMessageWriter.WriteActorRef"/>.</summary>
    public IActorRef ReadActorRef()
    {
        string path = ReadString();
        // An unknown but well-formed path resolves to dead letters (the actor may be gone); garbage is an error.
        // Akka's parser and resolver throw FormatException and others on some malformed names and UIDs.
        try
        {
            if (_system is not null && ActorPath.TryParse(path, out _))
            {
                return _system.Provider.ResolveActorRef(path);
            }
        }
        catch (Exception e) when (e is not SerializationException)
        {
        }
        throw Error("actor path");
    }

    /// <summary>Nothing may follow the last field.</summary>
    public readonly void End()
    {
        if (!_reader.IsEmpty)
        {
            throw Error("trailing bytes");
        }
    }

    private readonly string Decode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (ArgumentException)
        {
            throw Error("invalid UTF-8");
        }
    }
}
