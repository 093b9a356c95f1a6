using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Packets;

/// <summary>
/// A datagram that passed <see cref="DatagramCodec.TryReceive{TLookup}"/>: its session ID, the key that
/// verified it, the parsed header and the plain packet inside the caller's buffer.
/// </summary>
public readonly ref struct ReceivedPacket
{
    internal ReceivedPacket(uint sessionId, SessionCryptoContext context, bool defaultKey, PacketHeader header,
        ReadOnlySpan<byte> plainPacket, int plainOffset, ChunkSummary summary)
    {
        SessionId = sessionId;
        Context = context;
        UsedDefaultKey = defaultKey;
        Header = header;
        PlainPacket = plainPacket;
        PlainOffset = plainOffset;
        Summary = summary;
    }

    /// <summary>The receiver's session ID the datagram was addressed to (RFC 7016 §2.2.2).</summary>
    public uint SessionId { get; }

    /// <summary>The context that verified and decrypted the packet.</summary>
    public SessionCryptoContext Context { get; }

    /// <summary>Decrypted with the Default Session Key (session ID 0, or a keying session's RIKeying/Cookie Change).</summary>
    public bool UsedDefaultKey { get; }

    public PacketHeader Header { get; }

    /// <summary>Flags onward to the end of the decrypted blocks, 0xFF padding included (it parses as padding).</summary>
    public ReadOnlySpan<byte> PlainPacket { get; }

    /// <summary>Offset of <see cref="PlainPacket"/> in the caller's plain buffer.</summary>
    public int PlainOffset { get; }

    /// <summary>Result of the <see cref="ChunkValidator"/> pass.</summary>
    public ChunkSummary Summary { get; }

    /// <summary>A fresh iterator over the chunks after the header.</summary>
    public ChunkReader Chunks => new(PlainPacket[Header.Length..]);
}
