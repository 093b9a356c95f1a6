using System.Buffers;
using System.Buffers.Binary;

namespace Rtmfp.Shared.Flash;

/// <summary>
/// A User Control message payload (type 4): <c>eventType u16 | eventData</c>. Known events carry one
/// or two u32 fields (<see cref="Value1"/>, <see cref="Value2"/>); unknown events (e.g. 31, 32 from
/// Flash) are accepted with whatever leading u32 fields are present.
/// </summary>
public readonly struct UserControlEvent
{
    public UserControlEvent(UserControlEventType eventType, uint value1, uint value2 = 0)
    {
        EventType = eventType;
        Value1 = value1;
        Value2 = value2;
    }

    public UserControlEventType EventType { get; }
    public uint Value1 { get; }
    public uint Value2 { get; }

    public uint StreamId => Value1;
    /// <summary>SetBufferLength: milliseconds.</summary>
    public uint BufferLength => Value2;
    /// <summary>Flow Sync (RFC 7425 §5.2).</summary>
    public uint SyncId => Value1;
    /// <summary>Flow Sync: number of flows being synchronized (MUST be ≥ 1).</summary>
    public uint Count => Value2;
    /// <summary>Set Keepalive Timers (RFC 7425 §5.3.4), milliseconds.</summary>
    public uint ServerKeepalivePeriod => Value1;
    public uint PeerKeepalivePeriod => Value2;
    /// <summary>PingRequest/PingResponse.</summary>
    public uint PingTimestamp => Value1;

    public static UserControlEvent StreamBegin(uint streamId) => new(UserControlEventType.StreamBegin, streamId);
    public static UserControlEvent StreamEof(uint streamId) => new(UserControlEventType.StreamEof, streamId);
    public static UserControlEvent StreamDry(uint streamId) => new(UserControlEventType.StreamDry, streamId);
    public static UserControlEvent SetBufferLength(uint streamId, uint milliseconds) => new(UserControlEventType.SetBufferLength, streamId, milliseconds);
    public static UserControlEvent StreamIsRecorded(uint streamId) => new(UserControlEventType.StreamIsRecorded, streamId);
    public static UserControlEvent PingRequest(uint timestamp) => new(UserControlEventType.PingRequest, timestamp);
    public static UserControlEvent PingResponse(uint timestamp) => new(UserControlEventType.PingResponse, timestamp);
    public static UserControlEvent FlowSync(uint syncId, uint count) => new(UserControlEventType.FlowSync, syncId, count);
    public static UserControlEvent SetKeepaliveTimers(uint serverMilliseconds, uint peerMilliseconds) =>
        new(UserControlEventType.SetKeepaliveTimers, serverMilliseconds, peerMilliseconds);

    /// <summary>Number of u32 fields the event type defines (0 for unknown types).</summary>
    public static int FieldCount(UserControlEventType type) => type switch
    {
        UserControlEventType.StreamBegin or UserControlEventType.StreamEof or UserControlEventType.StreamDry
            or UserControlEventType.StreamIsRecorded or UserControlEventType.PingRequest or UserControlEventType.PingResponse => 1,
        UserControlEventType.SetBufferLength or UserControlEventType.FlowSync or UserControlEventType.SetKeepaliveTimers => 2,
        _ => 0,
    };

    public bool IsKnown => FieldCount(EventType) != 0;

    public int Length => 2 + (4 * FieldCount(EventType));

    /// <summary>
    /// Parses a type-4 payload. Known events must carry all their fields (extra bytes are ignored);
    /// a Flow Sync with count 0 is rejected (RFC 7425 §5.2: count MUST be at least 1).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out UserControlEvent result)
    {
        result = default;
        if (payload.Length < 2)
        {
            return false;
        }
        var type = (UserControlEventType)BinaryPrimitives.ReadUInt16BigEndian(payload);
        var data = payload[2..];
        int fields = FieldCount(type);
        if (data.Length < 4 * fields)
        {
            return false;
        }
        uint v1 = data.Length >= 4 ? BinaryPrimitives.ReadUInt32BigEndian(data) : 0;
        uint v2 = data.Length >= 8 && fields != 1 ? BinaryPrimitives.ReadUInt32BigEndian(data[4..]) : 0;
        if (type == UserControlEventType.FlowSync && v2 == 0)
        {
            return false;
        }
        result = new UserControlEvent(type, v1, v2);
        return true;
    }

    /// <summary>
    /// Whether a whole RTMP message (header included, RFC 7425 §5.1.2) is a Flow Synchronization event (§5.2),
    /// and its sync ID and flow count. Client and server flows both stop at these.
    /// </summary>
    public static bool TryReadFlowSync(ReadOnlySpan<byte> rtmpMessage, out uint syncId, out uint count)
    {
        syncId = count = 0;
        if (rtmpMessage.Length < RtmpMessage.HeaderLength || rtmpMessage[0] != (byte)RtmpMessageType.UserControl
            || !RtmpMessage.TryRead(rtmpMessage, out var m) || !TryRead(m.Payload, out var ev)
            || ev.EventType != UserControlEventType.FlowSync)
        {
            return false;
        }
        (syncId, count) = (ev.SyncId, ev.Count);
        return true;
    }

    /// <summary>Writes the payload (event type and its defined fields); returns its length.</summary>
    public int Write(Span<byte> destination)
    {
        int fields = FieldCount(EventType);
        int length = 2 + (4 * fields);
        if (destination.Length < length)
        {
            throw new ArgumentException("destination too small for the user control event", nameof(destination));
        }
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)EventType);
        if (fields >= 1)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[2..], Value1);
        }
        if (fields == 2)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[6..], Value2);
        }
        return length;
    }

    /// <summary>Writes a whole RTMFP message: type 4, timestamp 0 (ignored for these events), payload.</summary>
    public int WriteMessage(Span<byte> destination, uint timestamp = 0)
    {
        int header = RtmpMessage.WriteHeader(destination, RtmpMessageType.UserControl, timestamp);
        return header + Write(destination[header..]);
    }

    public void WriteMessage(IBufferWriter<byte> output, uint timestamp = 0)
    {
        int written = WriteMessage(output.GetSpan(RtmpMessage.HeaderLength + 10), timestamp);
        output.Advance(written);
    }

    public override string ToString() => $"{EventType}({Value1}, {Value2})";
}
