namespace Rtmfp.Shared.Wire;

/// <summary>Size limits for datagrams and plain packets. RFC 7016 fixes no MTU (§3.6.2.2); see docs/protocol-notes.md §1.</summary>
public static class PacketLimits
{
    /// <summary>Scrambled session ID in front of every datagram (RFC 7016 §2.2.2).</summary>
    public const int SessionIdLength = 4;

    /// <summary>Chunk type (u8) + chunk length (u16) (RFC 7016 §2.3).</summary>
    public const int ChunkHeaderLength = 3;

    /// <summary>Largest chunk payload the u16 length can express.</summary>
    public const int MaxChunkPayloadLength = ushort.MaxValue;

    /// <summary>Largest plain packet header: flags + timestamp + timestamp echo (RFC 7016 §2.2.4).</summary>
    public const int MaxPacketHeaderLength = 5;

    /// <summary>
    /// Largest plain session packet we send: margin below 1280 (IPv6 minimum MTU) for IP + UDP + SSID +
    /// encryption overhead (rtmfp-cpp). Cumulus/Mona warn above 1192 bytes of SSID + checksum + plain packet.
    /// </summary>
    public const int MaxSessionPacketLength = 1200;

    /// <summary>Largest plain startup packet; bigger ones are split with Packet Fragment chunks (RFC 7016 §3.4, rtmfp-cpp).</summary>
    public const int MaxStartupPacketLength = 4256;

    /// <summary>Receive buffer size: datagrams up to this size are accepted.</summary>
    public const int MaxDatagramLength = 8192;

    /// <summary>Smallest datagram that can hold anything: SSID + one flags byte.</summary>
    public const int MinDatagramLength = SessionIdLength + 1;

    /// <summary>Smallest Flash-profile datagram: SSID + one 16-byte AES block (RFC 7425 §4.7).</summary>
    public const int MinFlashDatagramLength = SessionIdLength + 16;

    /// <summary>
    /// Flash-profile per-datagram overhead before chunks (checksum mode): SSID 4 + checksum 2 + flags 1 +
    /// timestamp 2 + timestamp echo 2 (docs/protocol-notes.md §1), excluding 0..15 bytes of block padding.
    /// </summary>
    public const int FlashHeaderOverhead = SessionIdLength + 2 + MaxPacketHeaderLength;

    /// <summary>User metadata SHOULD NOT exceed 512 bytes (RFC 7016 §2.3.11.1.1).</summary>
    public const int MaxUserMetadataLength = 512;
}
