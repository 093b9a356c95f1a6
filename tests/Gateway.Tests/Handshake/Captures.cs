using Rtmfp.Cluster;
using System.Buffers.Binary;
using System.Net;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Gateway.Tests.Handshake;

/// <summary>Startup chunks of the loopback captures in tests/vectors (pcap, Ethernet, IPv4, UDP).</summary>
internal static class Captures
{
    public sealed record StartupChunk(int Frame, ushort SourcePort, uint SessionId, ChunkType Type, byte[] Payload)
    {
        public SocketAddress Source => IPEndPoint.Parse($"127.0.0.1:{SourcePort}").Serialize();
    }

    public static string Vector(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Cluster.sln")))
        {
            dir = dir.Parent;
        }
        Assert.NotNull(dir);
        return Path.GetFullPath(Path.Combine(dir.FullName, "tests", "vectors", name));
    }

    /// <summary>Every datagram that decrypts under the Default Session Key, as its single startup chunk.</summary>
    public static List<StartupChunk> Read(string name)
    {
        byte[] file = File.ReadAllBytes(Vector(name));
        Assert.Equal(0xA1B2C3D4u, BinaryPrimitives.ReadUInt32LittleEndian(file));
        var result = new List<StartupChunk>();
        using var context = SessionCryptoContext.CreateDefault();
        int offset = 24, frame = 0;
        while (offset + 16 <= file.Length)
        {
            int captured = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(offset + 8));
            var packet = file.AsSpan(offset + 16, captured);
            offset += 16 + captured;
            frame++;
            if (BinaryPrimitives.ReadUInt16BigEndian(packet[12..]) != 0x0800 || packet[14 + 9] != 17)
            {
                continue;
            }
            var udp = packet[(14 + (packet[14] & 0x0F) * 4)..];
            var payload = udp[8..BinaryPrimitives.ReadUInt16BigEndian(udp[4..])];
            var plain = new byte[payload.Length];
            if (!Multiplex.TryUnscrambleSessionId(payload, out uint sid)
                || !context.TryDecrypt(payload[4..], plain, out int po, out int pl)
                || !StartupPacket.TryRead(plain.AsSpan(po, pl), out var chunks) || !chunks.MoveNext())
            {
                continue; // session traffic under negotiated keys
            }
            result.Add(new StartupChunk(frame, BinaryPrimitives.ReadUInt16BigEndian(udp), sid, chunks.Current.Type, chunks.Current.Payload.ToArray()));
        }
        return result;
    }

    public static StartupChunk First(string name, ChunkType type) => Read(name).First(c => c.Type == type);
}
