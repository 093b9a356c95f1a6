using System.Buffers;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Tests.Wire;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Fuzz.Tests;

/// <summary>
/// Valid plain packets covering every chunk type and every nested structure: the captured handshakes and
/// connect exchanges, plus generated packets (keying options, addresses, acknowledgements, RTMP messages).
/// The seeds the <see cref="Mutator"/> starts from.
/// </summary>
internal static class FuzzCorpus
{
    /// <summary>Startup packets (RFC 7016 §2.2.4 mode 3): the captured handshakes and every startup chunk with its nested structures.</summary>
    public static List<byte[]> StartupPackets()
    {
        var corpus = new List<byte[]>();
        foreach (var frame in CapturedVectors.All)
        {
            if (frame.Plaintext is not null)
            {
                corpus.Add(frame.Plaintext[2..]); // drop the checksum
            }
        }
        corpus.AddRange(Startup());
        return corpus;
    }

    /// <summary>Session packets (initiator mark): the captured connect exchange and every session chunk, RTMP messages inside.</summary>
    public static List<byte[]> SessionPackets()
    {
        var corpus = new List<byte[]>(CapturedVectors.PlaintextConnectPackets());
        corpus.AddRange(Session());
        return corpus;
    }

    /// <summary>
    /// Removes the Session Close Request and Acknowledgement chunks (RFC 7016 §2.3.17–§2.3.18) from the plain packet in
    /// <c>packet[..length]</c>, in place, and returns the new length. A session fed every mutation whole would close
    /// within a few hundred inputs (a bit flip or an inserted chunk makes a close) and starve its flows of input.
    /// </summary>
    public static int WithoutClose(Span<byte> packet, int length)
    {
        if (!PacketHeader.TryRead(packet[..length], out _, out int header))
        {
            return length;
        }
        int written = header, kept = header; // bytes before `kept` are settled; the reader never looks behind it
        var chunks = new ChunkReader(packet[header..length]);
        while (chunks.MoveNext())
        {
            var chunk = chunks.Current;
            if (chunk.Type is ChunkType.SessionCloseRequest or ChunkType.SessionCloseAcknowledgement)
            {
                int start = header + chunk.Offset;
                packet[kept..start].CopyTo(packet[written..]);
                written += start - kept;
                kept = start + PacketLimits.ChunkHeaderLength + chunk.Payload.Length;
            }
        }
        packet[kept..length].CopyTo(packet[written..]);
        return written + length - kept;
    }

    private static byte[] Build(PacketMode mode, WriteChunks write)
    {
        var buffer = new byte[PacketLimits.MaxStartupPacketLength];
        var writer = new WireWriter(buffer);
        new PacketHeader(mode, timestamp: 0x0102, timestampEcho: mode == PacketMode.Startup ? null : (ushort)0x0304).Write(ref writer);
        write(ref writer);
        return writer.Written.ToArray();
    }

    private delegate void WriteChunks(ref WireWriter writer);

    private static void Append(ref WireWriter writer, ChunkType type, byte[] payload)
    {
        ChunkWriter.WriteHeader(ref writer, type, payload.Length);
        writer.WriteBytes(payload);
    }

    private static byte[] Options(params (ulong Type, byte[] Value)[] options)
    {
        var buffer = new byte[4096];
        var w = new WireWriter(buffer);
        foreach (var (type, value) in options)
        {
            OptionCodec.Write(ref w, type, value);
        }
        return w.Written.ToArray();
    }

    private static byte[] Vlu(ulong value, byte[] rest)
    {
        var buffer = new byte[10 + rest.Length];
        int n = Rtmfp.Shared.Wire.Vlu.Write(buffer, value);
        rest.CopyTo(buffer, n);
        return buffer[..(n + rest.Length)];
    }

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static byte[] Prefixed(params byte[][] fields)
    {
        var buffer = new byte[8192];
        var w = new WireWriter(buffer);
        foreach (var f in fields)
        {
            w.WriteVluPrefixedBytes(f);
        }
        return w.Written.ToArray();
    }

    private static IEnumerable<byte[]> Startup()
    {
        var fingerprint = Bytes(32, 1);
        var epd = Options((EndpointDiscriminator.OptionFingerprint, fingerprint), (EndpointDiscriminator.OptionAncillaryData, "rtmfp://host/app"u8.ToArray()));
        var tag = Bytes(16, 2);
        yield return Build(PacketMode.Startup, (ref WireWriter b) => Append(ref b, ChunkType.IHello, [.. Prefixed(epd), .. tag]));

        var cookie = Bytes(64, 3);
        var certificate = Options(
            (FlashCertificate.OptionAcceptsAncillaryData, []),
            (FlashCertificate.OptionSupportedEphemeralGroup, [2]),
            (FlashCertificate.OptionSupportedEphemeralGroup, [14]),
            (FlashCertificate.OptionExtraRandomness, Bytes(64, 4)));
        yield return Build(PacketMode.Startup, (ref WireWriter b) => Append(ref b, ChunkType.RHello, [.. Prefixed(tag, cookie), .. certificate]));

        var staticCertificate = Options(
            (FlashCertificate.OptionHostname, "example"u8.ToArray()),
            (FlashCertificate.OptionStaticPublicKey, Vlu(2, Bytes(128, 5))),
            (FlashCertificate.OptionStaticPublicKey, Vlu(14, Bytes(256, 6))));
        var skic = Options(
            (SessionKeyingComponent.OptionEphemeralPublicKey, Vlu(2, Bytes(128, 7))),
            (SessionKeyingComponent.OptionExtraRandomness, Bytes(64, 8)),
            (SessionKeyingComponent.OptionHmacNegotiation, [0x07, 16]),
            (SessionKeyingComponent.OptionSequenceNumberNegotiation, [0x07]));
        yield return Build(PacketMode.Startup, (ref WireWriter b) =>
            Append(ref b, ChunkType.IIKeying, [0x02, 0, 0, 0, .. Prefixed(cookie, staticCertificate, skic), 0x58]));

        var skrc = Options(
            (SessionKeyingComponent.OptionGroupSelect, [14]),
            (SessionKeyingComponent.OptionHmacNegotiation, [0x02, 10]),
            (SessionKeyingComponent.OptionSequenceNumberNegotiation, [0x02]));
        yield return Build(PacketMode.Startup, (ref WireWriter b) => Append(ref b, ChunkType.RIKeying, [0, 0, 0, 3, .. Prefixed(skrc), 0x58]));

        yield return Build(PacketMode.Startup, (ref WireWriter b) => ResponderRedirectChunk.Write(ref b, tag, Addresses));
        yield return Build(PacketMode.Startup, (ref WireWriter b) => Append(ref b, ChunkType.RHelloCookieChange, [.. Prefixed(cookie), .. Bytes(64, 9)]));
        yield return Build(PacketMode.Startup, (ref WireWriter b) =>
        {
            Append(ref b, ChunkType.PacketFragment, [0x80, 0x05, 0x00, .. Bytes(200, 10)]);
            Append(ref b, ChunkType.PacketFragment, [0x00, 0x05, 0x01, .. Bytes(20, 11)]);
        });
    }

    private static readonly Address[] Addresses =
    [
        Address.FromIPv4(0x7F000001, 1935, AddressOrigin.Local),
        Address.FromBytes(Bytes(16, 12), 19350, AddressOrigin.Observed),
    ];

    private static byte[] UserData(ulong flowId, ulong sequence, byte[] message, uint streamId = 0, ulong? returnFlow = null)
    {
        var metadata = new byte[8];
        int m = new RtmpMetadata(streamId).Write(metadata);
        var options = new byte[64];
        int n = UserDataOptions.Write(options, metadata.AsSpan(0, m), returnFlow);
        var chunk = new UserDataChunk(UserDataFlags.None, flowId, sequence, 1, options.AsSpan(0, n), message);
        var buffer = new byte[chunk.Length];
        var w = new WireWriter(buffer);
        UserDataChunk.Write(ref w, chunk);
        return buffer[3..];
    }

    private static IEnumerable<byte[]> Session()
    {
        var messages = new List<byte[]>
        {
            new Command("play", 0, null, new AmfString("stream"), new AmfNumber(-2)).ToMessage(),
            new Command("publish", 5, null, new AmfString("live"), new AmfString("live")).ToMessage(type: RtmpMessageType.CommandAmf3),
            new Command("connect", 1, new AmfObject { ["app"] = new AmfString("live"), ["objectEncoding"] = new AmfNumber(3) }).ToMessage(),
        };
        var data = new ArrayBufferWriter<byte>();
        new DataMessage(DataMessage.SetDataFrame, new AmfString(DataMessage.OnMetaData), new AmfObject { ["width"] = new AmfNumber(640) })
            .WriteMessage(data, new Amf0Writer());
        messages.Add(data.WrittenSpan.ToArray());
        var control = new byte[32];
        messages.Add(control[..UserControlEvent.SetBufferLength(1, 500).WriteMessage(control)]);
        messages.Add(control[..UserControlEvent.FlowSync(2, 7).WriteMessage(control)]);
        var media = new byte[64];
        messages.Add(media[..RtmpMessage.Write(media, RtmpMessageType.Audio, 20, [0xAF, 0x01, .. Bytes(20, 13)])]);
        messages.Add(media[..RtmpMessage.Write(media, RtmpMessageType.Video, 40, [0x17, 0x01, 0x00, 0x00, 0x00, .. Bytes(20, 14)])]);
        messages.Add(media[..RtmpMessage.Write(media, RtmpMessageType.Video, 40, [0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x64, 0x00, 0x1F])]);

        ulong seq = 1;
        foreach (var message in messages)
        {
            var payload = UserData(3, seq++, message, 1, returnFlow: seq % 2 == 0 ? 2 : null);
            yield return Build(PacketMode.InitiatorMark, (ref WireWriter b) =>
            {
                Append(ref b, ChunkType.UserData, payload);
                Append(ref b, ChunkType.NextUserData, [0x80, 0x04, 0x00, 0x54, 0x43, 0x04, 0x00, .. message]);
            });
        }
        yield return Build(PacketMode.ResponderMark, (ref WireWriter b) =>
        {
            SequenceRange[] ranges = [new(5, 6), new(9, 20), new(40, 40)];
            DataAckBitmapChunk.Write(ref b, 3, 64, 3, ranges);
            DataAckRangesChunk.Write(ref b, 3, 64, 3, ranges);
            Append(ref b, ChunkType.BufferProbe, [3]);
            Append(ref b, ChunkType.FlowExceptionReport, [3, 0x81, 0x00]);
            Append(ref b, ChunkType.Ping, Bytes(8, 15));
            Append(ref b, ChunkType.PingReply, Bytes(8, 16));
        });
        yield return Build(PacketMode.InitiatorMark, (ref WireWriter b) =>
        {
            var epd = Options((EndpointDiscriminator.OptionFingerprint, Bytes(32, 17)));
            var address = new byte[Address.IPv6Length];
            var w = new WireWriter(address);
            Addresses[1].Write(ref w);
            Append(ref b, ChunkType.FIHello, [.. Prefixed(epd), .. address, .. Bytes(16, 18)]);
            Append(ref b, ChunkType.SessionCloseRequest, []);
            Append(ref b, ChunkType.SessionCloseAcknowledgement, []);
        });
    }
}
