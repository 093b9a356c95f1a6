using System.Buffers.Binary;

namespace Rtmfp.Shared.Wire;

/// <summary>
/// Forward-only writer into a caller-provided span. Running out of space is a caller bug
/// (sizes are computed before writing) and throws; peer input never reaches a writer.
/// </summary>
public ref struct WireWriter
{
    private readonly Span<byte> _buffer;
    private int _position;

    public WireWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    public readonly int Position => _position;
    public readonly int Remaining => _buffer.Length - _position;
    public readonly Span<byte> Written => _buffer[.._position];
    public readonly Span<byte> Buffer => _buffer;

    public void WriteByte(byte value)
    {
        _buffer[_position] = value;
        _position++;
    }

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[_position..], value);
        _position += 2;
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_buffer[_position..], value);
        _position += 4;
    }

    public void WriteVlu(ulong value) => _position += Vlu.Write(_buffer[_position..], value);

    public void WriteBytes(scoped ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer[_position..]);
        _position += bytes.Length;
    }

    public void WriteVluPrefixedBytes(scoped ReadOnlySpan<byte> bytes)
    {
        WriteVlu((ulong)bytes.Length);
        WriteBytes(bytes);
    }

    /// <summary>Reserves <paramref name="count"/> bytes to be filled later (e.g. a length field).</summary>
    public Span<byte> Reserve(int count)
    {
        var slot = _buffer.Slice(_position, count);
        _position += count;
        return slot;
    }

    public void Fill(byte value, int count)
    {
        _buffer.Slice(_position, count).Fill(value);
        _position += count;
    }
}
