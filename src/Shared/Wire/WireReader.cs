using System.Buffers.Binary;

namespace Rtmfp.Shared.Wire;

/// <summary>
/// Forward-only, non-throwing reader over peer input. Every call is Try-style: on failure the
/// position does not move and the caller abandons the element (RFC 7425 §3).
/// </summary>
public ref struct WireReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public WireReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    public readonly int Position => _position;
    public readonly int Remaining => _buffer.Length - _position;
    public readonly bool IsEmpty => _position >= _buffer.Length;
    public readonly ReadOnlySpan<byte> RemainingSpan => _buffer[_position..];

    public bool TryReadByte(out byte value)
    {
        if (_position >= _buffer.Length)
        {
            value = 0;
            return false;
        }
        value = _buffer[_position++];
        return true;
    }

    public bool TryReadUInt16(out ushort value)
    {
        bool ok = TryReadBytes(sizeof(ushort), out var bytes);
        value = ok ? BinaryPrimitives.ReadUInt16BigEndian(bytes) : (ushort)0;
        return ok;
    }

    public bool TryReadUInt32(out uint value)
    {
        bool ok = TryReadBytes(sizeof(uint), out var bytes);
        value = ok ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : 0;
        return ok;
    }

    public bool TryReadVlu(out ulong value)
    {
        if (!Vlu.TryRead(_buffer[_position..], out value, out int consumed))
        {
            return false;
        }
        _position += consumed;
        return true;
    }

    public bool TryReadBytes(int count, out ReadOnlySpan<byte> bytes)
    {
        if (count < 0 || count > Remaining)
        {
            bytes = default;
            return false;
        }
        bytes = _buffer.Slice(_position, count);
        _position += count;
        return true;
    }

    /// <summary>Reads a VLU length then that many bytes (a VLU-prefixed field).</summary>
    public bool TryReadVluPrefixedBytes(out ReadOnlySpan<byte> bytes)
    {
        int start = _position;
        if (!TryReadVlu(out ulong len) || len > (ulong)Remaining)
        {
            _position = start;
            bytes = default;
            return false;
        }
        return TryReadBytes((int)len, out bytes);
    }

    public ReadOnlySpan<byte> ReadRemaining()
    {
        var rest = _buffer[_position..];
        _position = _buffer.Length;
        return rest;
    }
}
