using System.Buffers;
using System.Buffers.Binary;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Shared.Rtmp;

/// <summary>What one <see cref="RtmpChunkReader.TryRead"/> did.</summary>
public enum RtmpReadStatus : byte
{
    /// <summary>Not a whole chunk yet: read more bytes and call again with them appended.</summary>
    NeedMore,

    /// <summary>A chunk was consumed; its message is not complete yet.</summary>
    Chunk,

    /// <summary>A chunk was consumed and completed a message.</summary>
    Message,

    /// <summary>The stream is unusable (<see cref="RtmpChunkReader.Error"/>): close the connection.</summary>
    Error,
}

/// <summary>Why a chunk stream was given up.</summary>
public enum RtmpChunkError : byte
{
    None,
    /// <summary>A message header announced more than <see cref="RtmpChunkReaderLimits.MaxMessageLength"/>.</summary>
    MessageTooLong,
    /// <summary>More chunk streams than <see cref="RtmpChunkReaderLimits.MaxChunkStreams"/>.</summary>
    TooManyChunkStreams,
    /// <summary>A Set Chunk Size of 0, with the top bit set, or above <see cref="RtmpChunkReaderLimits.MaxChunkSize"/>.</summary>
    BadChunkSize,
    /// <summary>A chunk of type 1, 2 or 3 on a chunk stream that never had a type 0 header.</summary>
    NoPreviousHeader,
    /// <summary>Partial messages together would hold more than <see cref="RtmpChunkReaderLimits.MaxBufferedBytes"/>.</summary>
    TooMuchBuffered,
    /// <summary>A Set Chunk Size or Abort whose payload is shorter than 4 bytes.</summary>
    BadControlMessage,
}

/// <summary>Bounds of one connection's inbound chunk stream: together they bound its memory.</summary>
public sealed record RtmpChunkReaderLimits
{
    public static RtmpChunkReaderLimits Default { get; } = new();

    /// <summary>Largest chunk size a peer may set (ffmpeg and OBS use 4096; the reader holds one chunk before consuming it).</summary>
    public int MaxChunkSize { get; init; } = 64 * 1024;

    /// <summary>Largest message (a keyframe of high-bitrate video fits).</summary>
    public int MaxMessageLength { get; init; } = 4 * 1024 * 1024;

    /// <summary>Chunk streams a peer may use (encoders use fewer than ten).</summary>
    public int MaxChunkStreams { get; init; } = 64;

    /// <summary>Bytes of partial messages held at once, all chunk streams together.</summary>
    public int MaxBufferedBytes { get; init; } = 8 * 1024 * 1024;
}

/// <summary>
/// Reassembles messages from an RTMP chunk stream (RTMP specification §5.3): basic headers of 1 to 3 bytes, message
/// headers of type 0 (absolute), 1 (delta, length, type), 2 (delta) and 3 (none), extended timestamps (also on type 3
/// chunks that follow an extended header, as ffmpeg and Flash send them), Set Chunk Size (§5.4.1) and Abort (§5.4.2),
/// which it applies itself before returning them. A whole chunk must be available before it is consumed, so the caller
/// keeps at most one chunk plus a header unread. Every length is checked against <see cref="RtmpChunkReaderLimits"/>.
/// Not thread-safe: one reader per connection.
/// </summary>
public sealed class RtmpChunkReader
{
    private const int MaxHeaderLength = 3 + 11 + 4;
    private const int ExtendedTimestampMarker = 0xFFFFFF;

    private sealed class ChunkStream
    {
        public uint StreamId;
        public RtmpMessageType Type;
        public int Length;
        public uint Timestamp;
        /// <summary>The timestamp field of the last type 0, 1 or 2 header (extended value if any): what a type 3 header that starts a message adds.</summary>
        public uint TimestampField;
        public bool Extended;
        public byte[]? Buffer;
        public int Received;
    }

    private readonly RtmpChunkReaderLimits _limits;
    private readonly Dictionary<int, ChunkStream> _streams = [];
    private long _buffered;

    public RtmpChunkReader(RtmpChunkReaderLimits? limits = null) => _limits = limits ?? RtmpChunkReaderLimits.Default;

    /// <summary>The peer's chunk size (§5.4.1): 128 until it sends Set Chunk Size.</summary>
    public int ChunkSize { get; private set; } = RtmpControl.DefaultChunkSize;

    public RtmpChunkError Error { get; private set; }

    /// <summary>Bytes held in partial messages.</summary>
    public long BufferedBytes => _buffered;

    /// <summary>
    /// Reads at most one chunk from the start of <paramref name="input"/>; <paramref name="consumed"/> bytes of it are
    /// used (0 unless <see cref="RtmpReadStatus.Chunk"/> or <see cref="RtmpReadStatus.Message"/>). With
    /// <see cref="RtmpReadStatus.Message"/>, <paramref name="message"/> owns a pooled buffer the caller releases.
    /// </summary>
    public RtmpReadStatus TryRead(ReadOnlySequence<byte> input, out int consumed, out RtmpInboundMessage message)
    {
        consumed = 0;
        message = default;
        if (Error != RtmpChunkError.None)
        {
            return RtmpReadStatus.Error;
        }
        Span<byte> head = stackalloc byte[MaxHeaderLength];
        int available = (int)Math.Min(input.Length, MaxHeaderLength);
        input.Slice(0, available).CopyTo(head);
        head = head[..available];
        if (!TryParseHeader(head, out var header))
        {
            return header.Error == RtmpChunkError.None ? RtmpReadStatus.NeedMore : Fail(header.Error);
        }
        var stream = header.Stream!;
        int remaining = header.NewMessage ? header.Length : stream.Length - stream.Received;
        int payload = Math.Min(ChunkSize, remaining);
        if (input.Length < header.HeaderLength + payload)
        {
            return RtmpReadStatus.NeedMore;
        }
        if ((header.NewMessage && !Begin(stream, header)) || !Append(stream, input.Slice(header.HeaderLength, payload)))
        {
            return Fail(RtmpChunkError.TooMuchBuffered);
        }
        consumed = header.HeaderLength + payload;
        if (stream.Received < stream.Length)
        {
            return RtmpReadStatus.Chunk;
        }
        return Complete(header.ChunkStreamId, stream, out message);
    }

    private ref struct Header
    {
        public int ChunkStreamId;
        public int HeaderLength;
        public bool NewMessage;
        public int Format;
        public uint TimestampField;
        public bool Extended;
        public int Length;
        public RtmpMessageType Type;
        public uint StreamId;
        public ChunkStream? Stream;
        public RtmpChunkError Error;
    }

    // Parses without changing any state; false with Error None means more bytes are needed.
    private bool TryParseHeader(ReadOnlySpan<byte> head, out Header header)
    {
        header = default;
        if (head.Length < 1)
        {
            return false;
        }
        header.Format = head[0] >> 6;
        if (!TryReadChunkStreamId(head, out int csid, out int position))
        {
            return false;
        }
        header.ChunkStreamId = csid;
        int messageHeader = header.Format switch { 0 => 11, 1 => 7, 2 => 3, _ => 0 };
        if (head.Length < position + messageHeader)
        {
            return false;
        }
        _streams.TryGetValue(csid, out var stream);
        if (stream is null && header.Format != 0)
        {
            header.Error = RtmpChunkError.NoPreviousHeader;
            return false;
        }
        if (stream is null && _streams.Count >= _limits.MaxChunkStreams)
        {
            header.Error = RtmpChunkError.TooManyChunkStreams;
            return false;
        }
        var fields = head[position..];
        position += messageHeader;
        if (header.Format <= 2)
        {
            header.TimestampField = ReadUInt24(fields);
            header.Extended = header.TimestampField == ExtendedTimestampMarker;
        }
        else
        {
            header.Extended = stream!.Extended;
        }
        if (header.Format <= 1)
        {
            header.Length = (int)ReadUInt24(fields[3..]);
            header.Type = (RtmpMessageType)fields[6];
            if (header.Length > _limits.MaxMessageLength)
            {
                header.Error = RtmpChunkError.MessageTooLong;
                return false;
            }
        }
        header.StreamId = header.Format == 0 ? BinaryPrimitives.ReadUInt32LittleEndian(fields[7..]) : stream!.StreamId;
        if (header.Extended)
        {
            if (head.Length < position + 4)
            {
                return false;
            }
            header.TimestampField = BinaryPrimitives.ReadUInt32BigEndian(head[position..]);
            position += 4;
        }
        else if (header.Format == 3)
        {
            header.TimestampField = stream!.TimestampField;
        }
        header.HeaderLength = position;
        header.Stream = stream ?? new ChunkStream();
        // A type 0, 1 or 2 header always starts a message; a type 3 one does when nothing is pending (§5.3.1.2.4).
        header.NewMessage = header.Format <= 2 || header.Stream.Buffer is null;
        if (header.Format >= 2)
        {
            header.Length = header.Stream.Length;
            header.Type = header.Stream.Type;
        }
        return true;
    }

    // §5.3.1.1: IDs 2–63 in one byte, 64–319 in two, 64–65599 in three.
    private static bool TryReadChunkStreamId(ReadOnlySpan<byte> head, out int csid, out int position)
    {
        csid = head[0] & 0x3F;
        position = 1;
        if (csid == 0)
        {
            if (head.Length < 2)
            {
                return false;
            }
            csid = 64 + head[1];
            position = 2;
        }
        else if (csid == 1)
        {
            if (head.Length < 3)
            {
                return false;
            }
            csid = 64 + head[1] + (head[2] << 8);
            position = 3;
        }
        return true;
    }

    private bool Begin(ChunkStream stream, in Header header)
    {
        if (stream.Buffer is not null)
        {
            Discard(stream); // a new header while a message was pending: the sender gave that message up
        }
        if (!_streams.ContainsKey(header.ChunkStreamId))
        {
            _streams.Add(header.ChunkStreamId, stream);
        }
        // Type 0 carries the absolute timestamp; the others a delta, a type 3 header the previous one (or its own extended value).
        stream.Timestamp = header.Format == 0 ? header.TimestampField : stream.Timestamp + header.TimestampField;
        stream.TimestampField = header.TimestampField;
        stream.Extended = header.Extended;
        stream.StreamId = header.StreamId;
        stream.Type = header.Type;
        stream.Length = header.Length;
        stream.Received = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(RtmpMessage.HeaderLength + Math.Min(header.Length, Math.Max(ChunkSize, 4096)));
        if (_buffered + buffer.Length > _limits.MaxBufferedBytes)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return false;
        }
        stream.Buffer = buffer;
        _buffered += buffer.Length;
        return true;
    }

    private bool Append(ChunkStream stream, ReadOnlySequence<byte> bytes)
    {
        int needed = RtmpMessage.HeaderLength + stream.Received + (int)bytes.Length;
        var buffer = stream.Buffer!;
        if (needed > buffer.Length)
        {
            int size = (int)Math.Min(RtmpMessage.HeaderLength + (long)stream.Length, Math.Max(needed, 2L * buffer.Length));
            var grown = ArrayPool<byte>.Shared.Rent(size);
            if (_buffered - buffer.Length + grown.Length > _limits.MaxBufferedBytes)
            {
                ArrayPool<byte>.Shared.Return(grown);
                return false;
            }
            buffer.AsSpan(0, RtmpMessage.HeaderLength + stream.Received).CopyTo(grown);
            _buffered += grown.Length - buffer.Length;
            ArrayPool<byte>.Shared.Return(buffer);
            stream.Buffer = buffer = grown;
        }
        bytes.CopyTo(buffer.AsSpan(RtmpMessage.HeaderLength + stream.Received));
        stream.Received += (int)bytes.Length;
        return true;
    }

    private RtmpReadStatus Complete(int csid, ChunkStream stream, out RtmpInboundMessage message)
    {
        var buffer = stream.Buffer!;
        stream.Buffer = null;
        _buffered -= buffer.Length;
        RtmpMessage.WriteHeader(buffer, stream.Type, stream.Timestamp);
        message = new RtmpInboundMessage(csid, stream.StreamId, stream.Type, stream.Timestamp, buffer, RtmpMessage.HeaderLength + stream.Length);
        stream.Received = 0;
        if (stream.StreamId == 0 && stream.Type is RtmpMessageType.SetChunkSize or RtmpMessageType.Abort && !ApplyControl(message))
        {
            message.Release();
            message = default;
            return RtmpReadStatus.Error;
        }
        return RtmpReadStatus.Message;
    }

    private bool ApplyControl(in RtmpInboundMessage message)
    {
        if (!RtmpControl.TryReadValue(message.Payload, out uint value))
        {
            Error = RtmpChunkError.BadControlMessage;
            return false;
        }
        if (message.Type == RtmpMessageType.SetChunkSize)
        {
            if (value == 0 || value > (uint)_limits.MaxChunkSize)
            {
                Error = RtmpChunkError.BadChunkSize;
                return false;
            }
            ChunkSize = (int)value;
        }
        else if (value <= int.MaxValue && _streams.TryGetValue((int)value, out var aborted) && aborted.Buffer is not null)
        {
            Discard(aborted); // §5.4.2: the partial message of that chunk stream is dropped
        }
        return true;
    }

    private void Discard(ChunkStream stream)
    {
        _buffered -= stream.Buffer!.Length;
        ArrayPool<byte>.Shared.Return(stream.Buffer);
        stream.Buffer = null;
        stream.Received = 0;
    }

    private RtmpReadStatus Fail(RtmpChunkError error)
    {
        Error = error;
        return RtmpReadStatus.Error;
    }

    /// <summary>Returns every partial message's buffer to the pool (the connection ended).</summary>
    public void Reset()
    {
        foreach (var stream in _streams.Values)
        {
            if (stream.Buffer is not null)
            {
                Discard(stream);
            }
        }
        _streams.Clear();
    }

    private static uint ReadUInt24(ReadOnlySpan<byte> b) => (uint)((b[0] << 16) | (b[1] << 8) | b[2]);
}
