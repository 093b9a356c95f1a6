using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Flash;

/// <summary>
/// "TC" flow metadata of an RTMP message flow (RFC 7425 §5.1.1, RTMPMetadata_t):
/// <c>'T' 'C' | flags (0x04 SID, 0x01 RXI) | streamID VLU</c>. This is the value of the flow's
/// User Data option type 0 (RFC 7016 §2.3.11.1.1), e.g. <c>54 43 04 00</c> for the NetConnection.
/// </summary>
public readonly struct RtmpMetadata
{
    public const byte SignatureT = 0x54;
    public const byte SignatureC = 0x43;
    public const byte FlagStreamIdPresent = 0x04;
    public const byte FlagReceiveIntent = 0x01;

    /// <summary>RTMP stream IDs are 24 bits wide (RFC 7425 §5.1).</summary>
    public const uint MaxStreamId = 0xFFFFFF;

    public RtmpMetadata(uint streamId, ReceiveIntent receiveIntent = ReceiveIntent.OriginalQueuingOrder)
    {
        if (streamId > MaxStreamId)
        {
            throw new ArgumentOutOfRangeException(nameof(streamId), "RTMP stream IDs are 24 bits");
        }
        StreamId = streamId;
        ReceiveIntent = receiveIntent;
    }

    public uint StreamId { get; }
    public ReceiveIntent ReceiveIntent { get; }

    /// <summary>True when the metadata starts with the "TC" signature (whatever follows).</summary>
    public static bool HasSignature(ReadOnlySpan<byte> metadata) =>
        metadata.Length >= 2 && metadata[0] == SignatureT && metadata[1] == SignatureC;

    /// <summary>
    /// Parses TC metadata. Rejects another signature, a clear SID flag (RFC 7425 §5.1.1: SHOULD reject),
    /// a truncated or over-long VLU, a stream ID above 24 bits and trailing bytes. Reserved bits are ignored.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> metadata, out RtmpMetadata result)
    {
        result = default;
        if (metadata.Length < 3 || !HasSignature(metadata))
        {
            return false;
        }
        byte flags = metadata[2];
        if ((flags & FlagStreamIdPresent) == 0)
        {
            return false;
        }
        if (!Vlu.TryReadExact(metadata[3..], out ulong streamId) || streamId > MaxStreamId)
        {
            return false;
        }
        result = new RtmpMetadata((uint)streamId, (flags & FlagReceiveIntent) != 0 ? ReceiveIntent.NetworkArrivalOrder : ReceiveIntent.OriginalQueuingOrder);
        return true;
    }

    public int Length => 3 + Vlu.GetLength(StreamId);

    /// <summary>Writes the metadata (option value, without the option type); returns its length.</summary>
    public int Write(Span<byte> destination)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException("destination too small for TC metadata", nameof(destination));
        }
        destination[0] = SignatureT;
        destination[1] = SignatureC;
        destination[2] = (byte)(FlagStreamIdPresent | (ReceiveIntent == ReceiveIntent.NetworkArrivalOrder ? FlagReceiveIntent : 0));
        return 3 + Vlu.Write(destination[3..], StreamId);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        Write(bytes);
        return bytes;
    }
}
