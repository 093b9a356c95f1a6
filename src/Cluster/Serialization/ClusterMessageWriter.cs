using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Text;
using Akka.Actor;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Cluster;

/// <summary>
/// Appends the fields of one cluster message: fixed-width integers big-endian, lengths as VLUs
/// (RFC 7016 §2.1.2, as on the wire). Growable, because a message's size is only known field by field.
/// </summary>
internal sealed class ClusterMessageWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    public void Clear() => _buffer.ResetWrittenCount();

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    public void WriteByte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }

    public void WriteBool(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.GetSpan(2), value);
        _buffer.Advance(2);
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    public void WriteInt64(long value) => WriteUInt64((ulong)value);

    public void WriteVlu(ulong value) => _buffer.Advance(Vlu.Write(_buffer.GetSpan(Vlu.MaxLength), value));

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        WriteVlu((ulong)bytes.Length);
        bytes.CopyTo(_buffer.GetSpan(bytes.Length));
        _buffer.Advance(bytes.Length);
    }

    public void WriteString(string value)
    {
        int n = Encoding.UTF8.GetByteCount(value);
        WriteVlu((ulong)n);
        _buffer.Advance(Encoding.UTF8.GetBytes(value, _buffer.GetSpan(n)));
    }

    /// <summary>An actor reference as its serialized path (with its node's address when it is local).</summary>
    public void WriteActorRef(IActorRef actor) => WriteString(Akka.Serialization.Serialization.SerializedActorPath(actor));

    /// <summary>0 for null, otherwise the UTF-8 length plus one.</summary>
    public void WriteNullableString(string? value)
    {
        if (value is null)
        {
            WriteVlu(0);
            return;
        }
        int n = Encoding.UTF8.GetByteCount(value);
        WriteVlu((ulong)n + 1);
        _buffer.Advance(Encoding.UTF8.GetBytes(value, _buffer.GetSpan(n)));
    }

    /// <summary>The address family, then the raw socket address bytes (same layout on every node of one OS).</summary>
    public void WriteSocketAddress(SocketAddress address)
    {
        WriteUInt16((ushort)address.Family);
        WriteBytes(address.Buffer.Span[..address.Size]);
    }
}
