using System.Net;
using Rtmfp.Engine.Handshake;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine.Tests.Handshake;

/// <summary>What a host does with startup packets: Default Session Key, checksum, scrambled session ID.</summary>
internal static class StartupWire
{
    public static SocketAddress At(string endpoint) => IPEndPoint.Parse(endpoint).Serialize();

    public static byte[] Seal(OutgoingStartupPacket packet)
    {
        Assert.Equal(0x0B, packet.Packet[0]); // the only flags byte Flash-era peers accept
        var datagram = new byte[StartupDatagram.MaxLength];
        return datagram[..StartupDatagram.Write(packet.Packet, packet.SessionId, datagram)];
    }

    public static (uint SessionId, byte[] Plain) Open(byte[] datagram)
    {
        Assert.True(Multiplex.TryUnscrambleSessionId(datagram, out uint sessionId));
        using var context = SessionCryptoContext.CreateDefault();
        var buffer = new byte[datagram.Length];
        Assert.True(context.TryDecrypt(datagram.AsSpan(PacketLimits.SessionIdLength), buffer, out int offset, out int length));
        return (sessionId, buffer.AsSpan(offset, length).ToArray());
    }

    /// <summary>The single chunk of a startup packet.</summary>
    public static (ChunkType Type, byte[] Payload) Chunk(byte[] plain)
    {
        Assert.True(StartupPacket.TryRead(plain, out var chunks));
        Assert.True(chunks.MoveNext());
        var result = (chunks.Current.Type, chunks.Current.Payload.ToArray());
        Assert.False(chunks.MoveNext());
        return result;
    }

    public static (ChunkType Type, byte[] Payload) Chunk(OutgoingStartupPacket packet) => Chunk(Open(Seal(packet)).Plain);

    /// <summary>Encrypts a session packet with <paramref name="sender"/> and decrypts it with <paramref name="receiver"/>.</summary>
    public static byte[] Transfer(SessionCryptoContext sender, SessionCryptoContext receiver, uint sessionId, byte[] plain)
    {
        var datagram = new byte[PacketLimits.SessionIdLength + sender.GetEncryptedLength(plain.Length)];
        sender.Encrypt(plain, datagram.AsSpan(PacketLimits.SessionIdLength));
        Multiplex.ScrambleSessionId(datagram, sessionId);
        Assert.True(Multiplex.TryUnscrambleSessionId(datagram, out uint sid));
        Assert.Equal(sessionId, sid);
        var buffer = new byte[datagram.Length];
        Assert.True(receiver.TryDecrypt(datagram.AsSpan(PacketLimits.SessionIdLength), buffer, out int offset, out int length));
        return buffer.AsSpan(offset, length).ToArray();
    }

    public static byte[] PingPacket(PacketMode mode, ReadOnlySpan<byte> message)
    {
        var buffer = new byte[64 + message.Length];
        var w = new WireWriter(buffer);
        new PacketHeader(mode, timestamp: 1).Write(ref w);
        PingChunk.Write(ref w, new PingChunk(message));
        return buffer.AsSpan(0, w.Position).ToArray();
    }

    public static byte[] PingMessage(byte[] plain)
    {
        Assert.True(PlainPacket.TryRead(plain, out _, out var chunks));
        Assert.True(chunks.MoveNext());
        Assert.Equal(ChunkType.Ping, chunks.Current.Type);
        return chunks.Current.Payload.ToArray();
    }
}
