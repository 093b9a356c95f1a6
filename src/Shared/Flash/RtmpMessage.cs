using System.Buffers;
using System.Buffers.Binary;
using Rtmfp.Shared.Amf;

namespace Rtmfp.Shared.Flash;

/// <summary>
/// One RTMP message in one RTMFP flow message (RFC 7425 §5.1.2):
/// <c>messageType u8 | timestamp u32 | payload</c>. The stream ID comes from the flow's TC metadata.
/// </summary>
public readonly ref struct RtmpMessage
{
    public const int HeaderLength = 5;

    public RtmpMessage(RtmpMessageType type, uint timestamp, ReadOnlySpan<byte> payload)
    {
        Type = type;
        Timestamp = timestamp;
        Payload = payload;
    }

    public RtmpMessageType Type { get; }

    /// <summary>Milliseconds; wraps at 2^32 (compare with serial arithmetic, RFC 1982).</summary>
    public uint Timestamp { get; }
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>Types 1, 2, 3, 5, 6: not used over RTMFP, MUST be ignored (RFC 7425 §5.1).</summary>
    public bool IsChunkStreamControl => IsChunkStreamControlType(Type);

    public static bool IsChunkStreamControlType(RtmpMessageType type) =>
        type is RtmpMessageType.SetChunkSize or RtmpMessageType.Abort or RtmpMessageType.Acknowledgement
            or RtmpMessageType.WindowAcknowledgementSize or RtmpMessageType.SetPeerBandwidth;

    /// <summary>Splits a flow message. Fails only when shorter than the 5-byte header.</summary>
    public static bool TryRead(ReadOnlySpan<byte> message, out RtmpMessage result)
    {
        if (message.Length < HeaderLength)
        {
            result = default;
            return false;
        }
        result = new RtmpMessage((RtmpMessageType)message[0], BinaryPrimitives.ReadUInt32BigEndian(message[1..]), message[HeaderLength..]);
        return true;
    }

    /// <summary>
    /// The AMF values of a command or data message: the payload for types 18/20; for 15/17 the bytes
    /// after the format byte, which MUST be 0 (RFC 7425 §5.3.3; tcserver drops other formats).
    /// </summary>
    public bool TryGetAmfBody(out ReadOnlySpan<byte> body) => TryGetAmfBody(Type, Payload, out body);

    public static bool TryGetAmfBody(RtmpMessageType type, ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> body)
    {
        switch (type)
        {
            case RtmpMessageType.CommandAmf0:
            case RtmpMessageType.DataAmf0:
                body = payload;
                return true;
            case RtmpMessageType.CommandAmf3:
            case RtmpMessageType.DataAmf3:
                if (payload.Length >= 1 && payload[0] == 0)
                {
                    body = payload[1..];
                    return true;
                }
                break;
        }
        body = default;
        return false;
    }

    /// <summary>Writes the 5-byte header; returns its length. Throws if <paramref name="destination"/> is too small.</summary>
    public static int WriteHeader(Span<byte> destination, RtmpMessageType type, uint timestamp)
    {
        if (destination.Length < HeaderLength)
        {
            throw new ArgumentException("destination too small for an RTMP message header", nameof(destination));
        }
        destination[0] = (byte)type;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], timestamp);
        return HeaderLength;
    }

    /// <summary>
    /// Starts a command or data payload: one payload is one AMF reference scope (<paramref name="writer"/> is reset), and
    /// a type 15/17 payload (<paramref name="amf3Envelope"/>) begins with the format byte 0 (RFC 7425 §5.3.3), the one
    /// <see cref="TryGetAmfBody(RtmpMessageType, ReadOnlySpan{byte}, out ReadOnlySpan{byte})"/> skips.
    /// </summary>
    internal static void BeginAmfPayload(IBufferWriter<byte> output, Amf0Writer writer, bool amf3Envelope)
    {
        writer.Reset();
        if (amf3Envelope)
        {
            output.GetSpan(1)[0] = 0;
            output.Advance(1);
        }
    }

    public static void WriteHeader(IBufferWriter<byte> output, RtmpMessageType type, uint timestamp)
    {
        WriteHeader(output.GetSpan(HeaderLength), type, timestamp);
        output.Advance(HeaderLength);
    }

    /// <summary>
    /// Writes the header of a command or data message whose <paramref name="type"/> must be its AMF0 form or its
    /// AMF3 envelope (RFC 7425 §5.3.3); returns whether it is the envelope, for <see cref="BeginAmfPayload"/>.
    /// </summary>
    internal static bool WriteAmfHeader(IBufferWriter<byte> output, RtmpMessageType type, uint timestamp,
        RtmpMessageType amf0Form, RtmpMessageType amf3Form, string what)
    {
        if (type != amf0Form && type != amf3Form)
        {
            throw new ArgumentOutOfRangeException(nameof(type), $"{what} are type {(byte)amf3Form} or {(byte)amf0Form}");
        }
        WriteHeader(output, type, timestamp);
        return type == amf3Form;
    }

    /// <summary>Writes header and payload; returns the total length.</summary>
    public static int Write(Span<byte> destination, RtmpMessageType type, uint timestamp, ReadOnlySpan<byte> payload)
    {
        if (destination.Length < HeaderLength + payload.Length)
        {
            throw new ArgumentException("destination too small for the RTMP message", nameof(destination));
        }
        WriteHeader(destination, type, timestamp);
        payload.CopyTo(destination[HeaderLength..]);
        return HeaderLength + payload.Length;
    }

    /// <summary>Serial-number comparison of timestamps (RFC 1982): true when <paramref name="a"/> is before <paramref name="b"/>.</summary>
    public static bool TimestampLessThan(uint a, uint b) => a != b && (int)(a - b) < 0;
}
