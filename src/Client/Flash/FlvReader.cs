using System.Buffers.Binary;

namespace Rtmfp.Client.Flash;

/// <summary>
/// Reads an FLV file (FLV v10.1 §E) tag by tag from a stream. Never throws on a malformed file: every failure is a
/// <see cref="FlvReadStatus"/>, and it sticks (later reads return it again). Only the stream's own I/O errors throw.
/// A tag's data borrows one growing buffer, valid until the next read.
/// </summary>
public sealed class FlvReader : IDisposable
{
    /// <summary>Default limit on a tag's DataSize (the field allows 16 MB − 1).</summary>
    public const int DefaultMaxTagSize = 16 * 1024 * 1024;

    /// <summary>TagType(1) DataSize(3) Timestamp(3) TimestampExtended(1) StreamID(3).</summary>
    public const int TagHeaderLength = 11;

    private const int PreviousTagSizeLength = 4;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly int _maxTagSize;
    private byte[] _buffer = new byte[4096];
    private FlvReadStatus? _failure;
    private long _bodyStart = -1;

    public FlvReader(Stream stream, int maxTagSize = DefaultMaxTagSize, bool leaveOpen = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxTagSize);
        _stream = stream;
        _maxTagSize = maxTagSize;
        _leaveOpen = leaveOpen;
    }

    /// <summary>The file's header, once read.</summary>
    public FlvHeader? Header { get; private set; }

    /// <summary>Opens a file for reading (I/O errors throw, as for any file).</summary>
    public static FlvReader Open(string path, int maxTagSize = DefaultMaxTagSize) =>
        new(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024), maxTagSize);

    /// <summary>The failure that stopped reading (<see cref="FlvReadStatus.EndOfFile"/> at the end), if any.</summary>
    public FlvReadStatus? Failure => _failure;

    /// <summary>Reads the header and PreviousTagSize0 (the first <see cref="TryReadTag"/> does it otherwise); on false see <see cref="Failure"/>.</summary>
    public bool TryReadHeader(out FlvHeader header)
    {
        header = Header.GetValueOrDefault();
        if (Header is not null)
        {
            return true;
        }
        if (_failure is not null)
        {
            return false;
        }
        Span<byte> fixedPart = stackalloc byte[FlvHeader.Length];
        int got = _stream.ReadAtLeast(fixedPart, fixedPart.Length, throwOnEndOfStream: false);
        if (got < fixedPart.Length)
        {
            // A prefix of the signature is a cut file; anything else is not FLV.
            ReadOnlySpan<byte> signature = [(byte)'F', (byte)'L', (byte)'V', 1];
            int n = Math.Min(got, signature.Length);
            Fail(got > 0 && signature[..n].SequenceEqual(fixedPart[..n]) ? FlvReadStatus.Truncated : FlvReadStatus.BadHeader);
            return false;
        }
        if (!FlvHeader.TryRead(fixedPart, out header))
        {
            Fail(FlvReadStatus.BadHeader);
            return false;
        }
        // DataOffset ≤ 1024: skip what lies between the header and the body, then PreviousTagSize0.
        int skip = (int)header.DataOffset - FlvHeader.Length + PreviousTagSizeLength;
        if (!ReadExactly(skip))
        {
            Fail(FlvReadStatus.Truncated);
            return false;
        }
        Header = header;
        _bodyStart = _stream.CanSeek ? _stream.Position : -1;
        return true;
    }

    /// <summary>The next tag; <see cref="FlvReadStatus.Tag"/> when <paramref name="tag"/> holds one.</summary>
    public FlvReadStatus TryReadTag(out FlvTag tag)
    {
        tag = default;
        if (Header is null && !TryReadHeader(out _))
        {
            return _failure!.Value;
        }
        if (_failure is { } failure)
        {
            return failure;
        }
        Span<byte> head = stackalloc byte[TagHeaderLength];
        int got = _stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (got == 0)
        {
            return Fail(FlvReadStatus.EndOfFile);
        }
        if (got < head.Length)
        {
            return Fail(FlvReadStatus.Truncated);
        }
        // §E.4.1: Reserved(2) Filter(1) TagType(5). The stream ID "always 0" is not checked: nothing depends on it.
        if ((head[0] & 0xE0) != 0)
        {
            return Fail(FlvReadStatus.BadTag);
        }
        int size = (head[1] << 16) | (head[2] << 8) | head[3];
        uint timestamp = (uint)((head[7] << 24) | (head[4] << 16) | (head[5] << 8) | head[6]);
        if (size > _maxTagSize)
        {
            return Fail(FlvReadStatus.TagTooLarge);
        }
        if (_buffer.Length < size + PreviousTagSizeLength)
        {
            _buffer = new byte[Math.Max(size + PreviousTagSizeLength, Math.Min(_buffer.Length * 2, _maxTagSize + PreviousTagSizeLength))];
        }
        // The PreviousTagSize after the tag is read but not checked: muxers are known to get it wrong, and the
        // tag's own DataSize already delimits it.
        if (_stream.ReadAtLeast(_buffer.AsSpan(0, size + PreviousTagSizeLength), size + PreviousTagSizeLength, throwOnEndOfStream: false)
            < size + PreviousTagSizeLength)
        {
            return Fail(FlvReadStatus.Truncated);
        }
        tag = new FlvTag((FlvTagType)(head[0] & 0x1F), timestamp, _buffer.AsMemory(0, size));
        return FlvReadStatus.Tag;
    }

    /// <summary>Back to the first tag (to loop a file). Throws on a stream that cannot seek or before the header was read.</summary>
    public void Rewind()
    {
        if (_bodyStart < 0)
        {
            throw new InvalidOperationException("rewinding needs a seekable stream whose header was read");
        }
        _stream.Position = _bodyStart;
        _failure = null;
    }

    public void Dispose()
    {
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    private bool ReadExactly(int count)
    {
        Span<byte> scratch = stackalloc byte[256];
        while (count > 0)
        {
            int want = Math.Min(count, scratch.Length);
            if (_stream.ReadAtLeast(scratch[..want], want, throwOnEndOfStream: false) < want)
            {
                return false;
            }
            count -= want;
        }
        return true;
    }

    private FlvReadStatus Fail(FlvReadStatus status)
    {
        _failure = status;
        return status;
    }
}
