using System.Buffers.Binary;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Tests.Crypto;

/// <summary>Reads the UDP payloads of the loopback captures in tests/vectors (pcap, Ethernet, IPv4).</summary>
internal static class CaptureReader
{
    public sealed record Datagram(int Frame, ushort SourcePort, ushort DestinationPort, byte[] Payload);

    public static List<Datagram> ReadUdp(string name)
    {
        byte[] file = File.ReadAllBytes(TestPaths.Vector(name));
        Assert.Equal(0xA1B2C3D4u, BinaryPrimitives.ReadUInt32LittleEndian(file));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(20))); // LINKTYPE_ETHERNET
        var result = new List<Datagram>();
        int offset = 24;
        int frame = 0;
        while (offset + 16 <= file.Length)
        {
            int captured = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(offset + 8));
            ReadOnlySpan<byte> packet = file.AsSpan(offset + 16, captured);
            offset += 16 + captured;
            frame++;
            if (BinaryPrimitives.ReadUInt16BigEndian(packet[12..]) != 0x0800)
            {
                continue;
            }
            ReadOnlySpan<byte> ip = packet[14..];
            int ihl = (ip[0] & 0x0F) * 4;
            if (ip[9] != 17)
            {
                continue;
            }
            ReadOnlySpan<byte> udp = ip[ihl..];
            int udpLength = BinaryPrimitives.ReadUInt16BigEndian(udp[4..]);
            result.Add(new Datagram(frame, BinaryPrimitives.ReadUInt16BigEndian(udp), BinaryPrimitives.ReadUInt16BigEndian(udp[2..]), udp[8..udpLength].ToArray()));
        }
        return result;
    }

    /// <summary>
    /// Decrypts a startup datagram with the Default Session Key (checksum verified by TryDecrypt),
    /// checks the startup flags and returns the session ID and the single chunk (type, body).
    /// </summary>
    public static (uint SessionId, byte Type, byte[] Body) StartupChunk(Datagram datagram)
    {
        byte[] payload = datagram.Payload;
        uint sessionId = BinaryPrimitives.ReadUInt32BigEndian(payload) ^ BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(4)) ^ BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(8));
        using var context = SessionCryptoContext.CreateDefault();
        var plain = new byte[payload.Length];
        Assert.True(context.TryDecrypt(payload.AsSpan(4), plain, out int offset, out int length), $"frame {datagram.Frame} failed to verify");
        Assert.Equal(2, offset);
        ReadOnlySpan<byte> packet = plain.AsSpan(offset, length);
        Assert.Equal(0x0B, packet[0]);
        int chunkLength = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        Assert.True(packet[(6 + chunkLength)..].IndexOfAnyExcept((byte)0xFF) < 0);
        return (sessionId, packet[3], packet.Slice(6, chunkLength).ToArray());
    }

    public static byte[] IHelloEpd(byte[] body)
    {
        var reader = new WireReader(body);
        Assert.True(reader.TryReadVluPrefixedBytes(out var epd));
        return epd.ToArray();
    }

    public static byte[] RHelloCertificate(byte[] body)
    {
        var reader = new WireReader(body);
        Assert.True(reader.TryReadVluPrefixedBytes(out _)); // tag echo
        Assert.True(reader.TryReadVluPrefixedBytes(out _)); // cookie
        return reader.ReadRemaining().ToArray();
    }

    public static (uint InitiatorSessionId, byte[] Certificate, byte[] Skic, byte[] Signature) IIKeying(byte[] body)
    {
        var reader = new WireReader(body);
        Assert.True(reader.TryReadUInt32(out uint isid));
        Assert.True(reader.TryReadVluPrefixedBytes(out _)); // cookie echo
        Assert.True(reader.TryReadVluPrefixedBytes(out var cert));
        Assert.True(reader.TryReadVluPrefixedBytes(out var skic));
        return (isid, cert.ToArray(), skic.ToArray(), reader.ReadRemaining().ToArray());
    }

    public static (uint ResponderSessionId, byte[] Skrc, byte[] Signature) RIKeying(byte[] body)
    {
        var reader = new WireReader(body);
        Assert.True(reader.TryReadUInt32(out uint rsid));
        Assert.True(reader.TryReadVluPrefixedBytes(out var skrc));
        return (rsid, skrc.ToArray(), reader.ReadRemaining().ToArray());
    }
}
