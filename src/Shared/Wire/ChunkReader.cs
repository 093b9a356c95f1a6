using System.Buffers.Binary;

namespace Rtmfp.Shared.Wire;

/// <summary>
/// Iterates the chunks of a plain packet after its header (RFC 7016 §2.2.4): stops at padding, i.e. when fewer
/// than 3 bytes remain or a chunk length exceeds the remaining bytes; skips 0x00/0xFF Ignore/Padding chunks.
/// Unknown types are yielded (the dispatcher ignores them). Usable with <c>foreach</c>.
/// </summary>
public ref struct ChunkReader
{
    private readonly ReadOnlySpan<byte> _chunks;
    private int _position;
    private Chunk _current;

    /// <param name="chunks">The packet bytes after the header, to the end of the plain packet.</param>
    public ChunkReader(ReadOnlySpan<byte> chunks)
    {
        _chunks = chunks;
        _position = 0;
        _current = default;
    }

    public readonly Chunk Current => _current;

    /// <summary>Offset of the first byte not yet consumed; once <see cref="MoveNext"/> returned false, the start of the padding.</summary>
    public readonly int Position => _position;

    public readonly ChunkReader GetEnumerator() => this;

    public bool MoveNext()
    {
        while (_chunks.Length - _position >= PacketLimits.ChunkHeaderLength)
        {
            var type = (ChunkType)_chunks[_position];
            int length = BinaryPrimitives.ReadUInt16BigEndian(_chunks[(_position + 1)..]);
            int payloadStart = _position + PacketLimits.ChunkHeaderLength;
            if (length > _chunks.Length - payloadStart)
            {
                break; // the rest is padding
            }
            int offset = _position;
            _position = payloadStart + length;
            if (ChunkTypes.IsPadding(type))
            {
                continue;
            }
            _current = new Chunk(type, _chunks.Slice(payloadStart, length), offset);
            return true;
        }
        _current = default;
        return false;
    }
}
