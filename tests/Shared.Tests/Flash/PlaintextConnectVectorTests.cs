using System.Buffers.Binary;
using System.Text.RegularExpressions;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Wire;
using static Rtmfp.Shared.Tests.Amf.TestHex;

namespace Rtmfp.Shared.Tests.Flash;

/// <summary>
/// Flow payloads of the decrypted connect exchanges in vectors/plaintext-connect.md (tcserver and
/// MonaTiny): TC metadata, the connect command, each server's _result and Mona's Set Keepalive Timers.
/// </summary>
public partial class PlaintextConnectVectorTests
{
    private sealed record UserData(byte[] Metadata, byte[] Message);

    [GeneratedRegex("```\\s*([0-9a-f]+)\\s*```")]
    private static partial Regex HexBlock();

    private static List<byte[]> Packets()
    {
        var text = File.ReadAllText(TestPaths.Vector("plaintext-connect.md"));
        return [.. HexBlock().Matches(text).Select(m => Convert.FromHexString(m.Groups[1].Value))];
    }

    /// <summary>Minimal plain-packet walk (RFC 7016 §2.2.4, §2.3.11, §2.3.12) to reach the flow messages.</summary>
    private static List<UserData> UserDataOf(byte[] packet)
    {
        var result = new List<UserData>();
        byte flags = packet[0];
        int p = 1 + ((flags & 0x08) != 0 ? 2 : 0) + ((flags & 0x04) != 0 ? 2 : 0);
        byte[] lastMetadata = [];
        while (p + 3 <= packet.Length && packet[p] != 0xFF)
        {
            byte type = packet[p];
            int length = BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(p + 1));
            var chunk = packet.AsSpan(p + 3, length);
            p += 3 + length;
            if (type is not (0x10 or 0x11))
            {
                continue;
            }
            byte chunkFlags = chunk[0];
            int q = 1;
            if (type == 0x10)
            {
                for (int i = 0; i < 3; i++)
                {
                    Assert.True(Vlu.TryRead(chunk[q..], out _, out int used));
                    q += used;
                }
            }
            byte[] metadata = lastMetadata;
            if ((chunkFlags & 0x80) != 0)
            {
                var options = new OptionListReader(chunk[q..]);
                while (options.TryReadNext(out var option))
                {
                    if (option.Type == 0)
                    {
                        metadata = option.Value.ToArray();
                    }
                }
                Assert.True(options.Completed);
                q += options.Consumed;
            }
            lastMetadata = metadata;
            result.Add(new UserData(metadata, chunk[q..].ToArray()));
        }
        return result;
    }

    [Fact]
    public void ClientConnectCommand()
    {
        var packets = Packets();
        Assert.Equal(8, packets.Count);
        foreach (var index in new[] { 0, 4 })
        {
            var data = Assert.Single(UserDataOf(packets[index]));
            Assert.True(RtmpMetadata.TryRead(data.Metadata, out var metadata));
            Assert.Equal(0u, metadata.StreamId);
            Assert.Equal(ReceiveIntent.OriginalQueuingOrder, metadata.ReceiveIntent);

            Assert.True(RtmpMessage.TryRead(data.Message, out var message));
            Assert.Equal(RtmpMessageType.CommandAmf0, message.Type);
            Assert.Equal(0u, message.Timestamp);
            Assert.True(Command.TryRead(message, new AmfReader(), out var connect));
            Assert.Equal("connect", connect.Name);
            Assert.Equal(1.0, connect.TransactionId);
            Assert.Empty(connect.Arguments);
            Assert.Equal(AmfError.None, connect.DecodeError);
            var o = Assert.IsType<AmfObject>(connect.CommandObject);
            Assert.Equal("live", o.GetString("app"));
            Assert.Equal("WIN 32,0,0,114", o.GetString("flashVer"));
            Assert.Equal(index == 0 ? "rtmfp://127.0.0.1:19351/live" : "rtmfp://127.0.0.1:19352/live", o.GetString("tcUrl"));
            Assert.Equal(3.0, o.GetNumber("objectEncoding"));

            // Our writer reproduces the client's bytes exactly.
            Assert.Equal(Hex(data.Message), Hex(connect.ToMessage()));
        }
    }

    [Fact]
    public void TcserverConnectResult()
    {
        var data = Assert.Single(UserDataOf(Packets()[3]));
        Assert.True(RtmpMetadata.TryRead(data.Metadata, out var metadata));
        Assert.Equal(0u, metadata.StreamId);
        Assert.True(RtmpMessage.TryRead(data.Message, out var message));
        Assert.True(Command.TryRead(message, new AmfReader(), out var result));
        Assert.Equal("_result", result.Name);
        Assert.Equal(1.0, result.TransactionId);
        Assert.Equal(AmfType.Null, result.CommandObject.Type);
        var info = Assert.IsType<AmfObject>(result.Argument(0));
        Assert.Equal("status", info.GetString("level"));
        Assert.Equal(StatusCode.ConnectSuccess, info.GetString("code"));
        Assert.Equal("you connected!", info.GetString("description"));
        Assert.Equal(3.0, info.GetNumber("objectEncoding"));
        Assert.Equal(0.0, info.GetNumber("capsEx"));
        Assert.Equal(64, info.GetString("connectionID")!.Length);
        Assert.Equal(64, info.GetString("serverFingerprint")!.Length);
        Assert.Equal(4.0, info["videoFourCcInfoMap"]!.GetProperty("*")!.AsNumber);
        Assert.Equal(4.0, info["audioFourCcInfoMap"]!.GetProperty("*")!.AsNumber);
        Assert.Equal(Hex(data.Message), Hex(result.ToMessage()));
    }

    [Fact]
    public void MonaConnectResultAndKeepalive()
    {
        var data = UserDataOf(Packets()[7]);
        Assert.Equal(2, data.Count);
        // Mona's _result is exactly what NetStatus.ConnectSuccess builds.
        Assert.Equal(Hex(data[0].Message), Hex(NetStatus.ConnectSuccess(1, 3).ToMessage()));

        // The NextUserData chunk continues the same flow (metadata from the previous chunk).
        Assert.True(RtmpMetadata.TryRead(data[1].Metadata, out var metadata));
        Assert.Equal(0u, metadata.StreamId);
        Assert.True(RtmpMessage.TryRead(data[1].Message, out var message));
        Assert.Equal(RtmpMessageType.UserControl, message.Type);
        Assert.True(UserControlEvent.TryRead(message.Payload, out var keepalive));
        Assert.Equal(UserControlEventType.SetKeepaliveTimers, keepalive.EventType);
        Assert.Equal(15000u, keepalive.ServerKeepalivePeriod);
        Assert.Equal(10000u, keepalive.PeerKeepalivePeriod);
    }
}
