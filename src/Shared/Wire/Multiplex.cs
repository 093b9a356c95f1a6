using System.Buffers.Binary;

namespace Rtmfp.Shared.Wire;

/// <summary>
/// RFC 7016 §2.2.2 multiplex layer: a datagram is the scrambled session ID followed by the encrypted packet;
/// sessionID = SSID XOR first32[0] XOR first32[1], with an encrypted packet shorter than 8 bytes treated as
/// zero-padded to 8.
/// </summary>
public static class Multiplex
{
    /// <summary>Recovers the session ID of a received datagram; false if it is shorter than the SSID.</summary>
    public static bool TryUnscrambleSessionId(ReadOnlySpan<byte> datagram, out uint sessionId)
    {
        if (datagram.Length < PacketLimits.SessionIdLength)
        {
            sessionId = 0;
            return false;
        }
        uint ssid = BinaryPrimitives.ReadUInt32BigEndian(datagram);
        sessionId = ssid ^ ScrambleMask(datagram[PacketLimits.SessionIdLength..]);
        return true;
    }

    /// <summary>Writes the scrambled form of <paramref name="sessionId"/> into the first 4 bytes of a datagram whose encrypted packet is already in place.</summary>
    public static void ScrambleSessionId(Span<byte> datagram, uint sessionId)
    {
        if (datagram.Length < PacketLimits.SessionIdLength)
        {
            throw new ArgumentException("datagram shorter than the session ID field", nameof(datagram));
        }
        uint ssid = sessionId ^ ScrambleMask(datagram[PacketLimits.SessionIdLength..]);
        BinaryPrimitives.WriteUInt32BigEndian(datagram, ssid);
    }

    /// <summary>first32[0] XOR first32[1] of the encrypted packet, zero-padded to 8 bytes.</summary>
    public static uint ScrambleMask(ReadOnlySpan<byte> encryptedPacket)
    {
        if (encryptedPacket.Length >= 8)
        {
            return BinaryPrimitives.ReadUInt32BigEndian(encryptedPacket) ^ BinaryPrimitives.ReadUInt32BigEndian(encryptedPacket[4..]);
        }
        Span<byte> padded = stackalloc byte[8];
        padded.Clear();
        encryptedPacket.CopyTo(padded);
        return BinaryPrimitives.ReadUInt32BigEndian(padded) ^ BinaryPrimitives.ReadUInt32BigEndian(padded[4..]);
    }
}
