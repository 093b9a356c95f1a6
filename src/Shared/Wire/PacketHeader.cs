using System.Buffers.Binary;

namespace Rtmfp.Shared.Wire;

/// <summary>The common header of a plain RTMFP packet: flags, optional timestamp and timestamp echo (RFC 7016 §2.2.4).</summary>
public readonly struct PacketHeader
{
    private readonly ushort _timestamp;
    private readonly ushort _timestampEcho;

    /// <summary>Builds a header to send. Reserved bits are always written as 0.</summary>
    public PacketHeader(PacketMode mode, ushort? timestamp = null, ushort? timestampEcho = null,
        bool timeCritical = false, bool timeCriticalReverse = false)
    {
        if (mode == PacketMode.Forbidden || (byte)mode > 3)
        {
            throw new ArgumentOutOfRangeException(nameof(mode), "packet mode must be 1, 2 or 3");
        }
        var flags = (PacketFlags)(byte)mode;
        if (timeCritical)
        {
            flags |= PacketFlags.TimeCritical;
        }
        if (timeCriticalReverse)
        {
            flags |= PacketFlags.TimeCriticalReverse;
        }
        if (timestamp.HasValue)
        {
            flags |= PacketFlags.TimestampPresent;
            _timestamp = timestamp.Value;
        }
        if (timestampEcho.HasValue)
        {
            flags |= PacketFlags.TimestampEchoPresent;
            _timestampEcho = timestampEcho.Value;
        }
        Flags = flags;
    }

    private PacketHeader(PacketFlags flags, ushort timestamp, ushort timestampEcho)
    {
        Flags = flags;
        _timestamp = timestamp;
        _timestampEcho = timestampEcho;
    }

    /// <summary>The raw flags byte (reserved bits as received).</summary>
    public PacketFlags Flags { get; }

    public PacketMode Mode => (PacketMode)(Flags & PacketFlags.ModeMask);
    public bool TimeCritical => (Flags & PacketFlags.TimeCritical) != 0;
    public bool TimeCriticalReverse => (Flags & PacketFlags.TimeCriticalReverse) != 0;
    public bool HasTimestamp => (Flags & PacketFlags.TimestampPresent) != 0;
    public bool HasTimestampEcho => (Flags & PacketFlags.TimestampEchoPresent) != 0;

    /// <summary>Low 16 bits of the sender's 250 Hz clock; 0 when absent.</summary>
    public ushort Timestamp => _timestamp;

    /// <summary>Timestamp echo (RFC 7016 §3.5.2.2); 0 when absent.</summary>
    public ushort TimestampEcho => _timestampEcho;

    /// <summary>Encoded size: 1, 3 or 5 bytes.</summary>
    public int Length => 1 + (HasTimestamp ? 2 : 0) + (HasTimestampEcho ? 2 : 0);

    /// <summary>
    /// Parses the header at the start of a plain packet. Rejects mode 0 (RFC 7016 §2.2.4: MUST be discarded)
    /// and truncated timestamp fields.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> packet, out PacketHeader header, out int length)
    {
        header = default;
        length = 0;
        if (packet.IsEmpty)
        {
            return false;
        }
        var flags = (PacketFlags)packet[0];
        if ((flags & PacketFlags.ModeMask) == 0)
        {
            return false;
        }
        int pos = 1;
        ushort ts = 0, tse = 0;
        if ((flags & PacketFlags.TimestampPresent) != 0)
        {
            if (packet.Length < pos + 2)
            {
                return false;
            }
            ts = BinaryPrimitives.ReadUInt16BigEndian(packet[pos..]);
            pos += 2;
        }
        if ((flags & PacketFlags.TimestampEchoPresent) != 0)
        {
            if (packet.Length < pos + 2)
            {
                return false;
            }
            tse = BinaryPrimitives.ReadUInt16BigEndian(packet[pos..]);
            pos += 2;
        }
        header = new PacketHeader(flags, ts, tse);
        length = pos;
        return true;
    }

    public void Write(ref WireWriter writer)
    {
        writer.WriteByte((byte)Flags);
        if (HasTimestamp)
        {
            writer.WriteUInt16(_timestamp);
        }
        if (HasTimestampEcho)
        {
            writer.WriteUInt16(_timestampEcho);
        }
    }

    /// <summary>Writes the header at the start of <paramref name="destination"/> and returns its length.</summary>
    public int Write(Span<byte> destination)
    {
        var writer = new WireWriter(destination);
        Write(ref writer);
        return writer.Position;
    }
}
