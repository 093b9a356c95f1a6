using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Tests.Wire;

/// <summary>A valid encoding of every chunk type plus a generic parse-and-reencode used by the robustness tests.</summary>
public static class ChunkSamples
{
    private static readonly byte[] Tag = Convert.FromHexString("d77901a292d6318df3be1115cb8b2adc");
    private static readonly byte[] Epd = Convert.FromHexString("210f").Concat(Enumerable.Range(0, 32).Select(i => (byte)i)).ToArray();

    /// <summary>(type, full chunk encoding, minimum payload length below which TryRead must fail).</summary>
    public static IEnumerable<(ChunkType Type, byte[] Chunk, int MinPayload)> All()
    {
        yield return (ChunkType.PacketFragment, Build((ref WireWriter w) => PacketFragmentChunk.Write(ref w, new PacketFragmentChunk(true, 300, 2, [1, 2, 3]))), 5);
        yield return (ChunkType.IHello, Build((ref WireWriter w) => IHelloChunk.Write(ref w, new IHelloChunk(Epd, Tag))), 35);
        yield return (ChunkType.FIHello, Build((ref WireWriter w) => FIHelloChunk.Write(ref w, new FIHelloChunk(Epd,
            Address.FromIPv4(0xC0000281, 50001, AddressOrigin.Observed), Tag))), 35 + 7);
        yield return (ChunkType.FIHello, Build((ref WireWriter w) => FIHelloChunk.Write(ref w, new FIHelloChunk(Epd,
            Address.FromBytes(Convert.FromHexString("20010db8000100000000000000000002"), 50002, AddressOrigin.Local), Tag))), 35 + 19);
        yield return (ChunkType.RHello, Build((ref WireWriter w) => RHelloChunk.Write(ref w, new RHelloChunk(Tag, new byte[64], [0x01, 0x0A, 0x02, 0x15, 0x02]))), 1 + 16 + 1 + 64);
        yield return (ChunkType.ResponderRedirect, Build((ref WireWriter w) => ResponderRedirectChunk.Write(ref w, Tag, [
            Address.FromIPv4(0x7F000001, 38576, AddressOrigin.Observed),
            Address.FromBytes(Convert.FromHexString("20010db8000100000000000000000002"), 1935, AddressOrigin.Local)])), 17);
        yield return (ChunkType.RHelloCookieChange, Build((ref WireWriter w) => RHelloCookieChangeChunk.Write(ref w, new RHelloCookieChangeChunk(new byte[64], new byte[65]))), 65);
        yield return (ChunkType.IIKeying, Build((ref WireWriter w) => IIKeyingChunk.Write(ref w, new IIKeyingChunk(0x02000000, new byte[64], new byte[200], new byte[76], [0x58]))),
            4 + 1 + 64 + 2 + 200 + 1 + 76);
        yield return (ChunkType.RIKeying, Build((ref WireWriter w) => RIKeyingChunk.Write(ref w, new RIKeyingChunk(5, new byte[139], [0x58]))), 4 + 2 + 139);
        yield return (ChunkType.Ping, Build((ref WireWriter w) => PingChunk.Write(ref w, new PingChunk([9, 8, 7]))), 0);
        yield return (ChunkType.PingReply, Build((ref WireWriter w) => PingChunk.WriteReply(ref w, new PingChunk([9, 8, 7]))), 0);
        byte[] options = Build((ref WireWriter w) => UserDataOptions.Write(ref w, [0x54, 0x43, 0x04, 0x00], 3));
        yield return (ChunkType.UserData, Build((ref WireWriter w) => UserDataChunk.Write(ref w, new UserDataChunk(UserDataFlagBits.Create(FragmentControl.Begin),
            2, 200, 3, options, [0x14, 0, 0, 0, 0]))), 1 + 1 + 2 + 1 + options.Length);
        yield return (ChunkType.UserData, Build((ref WireWriter w) => UserDataChunk.Write(ref w, new UserDataChunk(UserDataFlagBits.Create(FragmentControl.Whole, abandon: true, final: true),
            7, 1, 0, default, default))), 4);
        yield return (ChunkType.NextUserData, Build((ref WireWriter w) => NextUserDataChunk.Write(ref w, new NextUserDataChunk(UserDataFlagBits.Create(FragmentControl.Middle),
            options, [1, 2]))), 1 + options.Length);
        yield return (ChunkType.DataAcknowledgementBitmap, Convert.FromHexString("50000505" + "7f107906"), 3);
        yield return (ChunkType.DataAcknowledgementRanges, Convert.FromHexString("510007057f1000000103"), 3);
        yield return (ChunkType.BufferProbe, Build((ref WireWriter w) => BufferProbeChunk.Write(ref w, new BufferProbeChunk(16384))), 3);
        yield return (ChunkType.FlowExceptionReport, Build((ref WireWriter w) => FlowExceptionReportChunk.Write(ref w, new FlowExceptionReportChunk(300, 7))), 3);
        yield return (ChunkType.SessionCloseRequest, Build(SessionCloseChunk.WriteRequest), 0);
        yield return (ChunkType.SessionCloseAcknowledgement, Build(SessionCloseChunk.WriteAcknowledgement), 0);
    }

    public delegate void WriteAction(ref WireWriter writer);

    public static byte[] Build(WriteAction write)
    {
        var buffer = new byte[4096];
        var w = new WireWriter(buffer);
        write(ref w);
        return w.Written.ToArray();
    }

    /// <summary>
    /// Parses <paramref name="payload"/> as <paramref name="type"/> and writes the parsed value back; null if TryRead
    /// failed. Decoders with lazy parts (ack ranges, redirect addresses, user data options) are run to the end.
    /// </summary>
    public static byte[]? Reencode(ChunkType type, ReadOnlySpan<byte> payload, bool withHeader = false)
    {
        var buffer = new byte[payload.Length + 64];
        var w = new WireWriter(buffer);
        switch (type)
        {
            case ChunkType.PacketFragment:
                if (!PacketFragmentChunk.TryRead(payload, out var frag)) return null;
                PacketFragmentChunk.Write(ref w, frag);
                break;
            case ChunkType.IHello:
                if (!IHelloChunk.TryRead(payload, out var ih)) return null;
                IHelloChunk.Write(ref w, ih);
                break;
            case ChunkType.FIHello:
                if (!FIHelloChunk.TryRead(payload, out var fih)) return null;
                FIHelloChunk.Write(ref w, fih);
                break;
            case ChunkType.RHello:
                if (!RHelloChunk.TryRead(payload, out var rh)) return null;
                RHelloChunk.Write(ref w, rh);
                break;
            case ChunkType.ResponderRedirect:
                if (!ResponderRedirectChunk.TryRead(payload, out var redirect)) return null;
                var list = new List<Address>();
                foreach (var a in redirect.GetDestinations())
                {
                    list.Add(a);
                }
                ResponderRedirectChunk.Write(ref w, redirect.TagEcho, list.ToArray());
                break;
            case ChunkType.RHelloCookieChange:
                if (!RHelloCookieChangeChunk.TryRead(payload, out var cc)) return null;
                RHelloCookieChangeChunk.Write(ref w, cc);
                break;
            case ChunkType.IIKeying:
                if (!IIKeyingChunk.TryRead(payload, out var iik)) return null;
                IIKeyingChunk.Write(ref w, iik);
                break;
            case ChunkType.RIKeying:
                if (!RIKeyingChunk.TryRead(payload, out var rik)) return null;
                RIKeyingChunk.Write(ref w, rik);
                break;
            case ChunkType.Ping:
                if (!PingChunk.TryRead(payload, out var ping)) return null;
                PingChunk.Write(ref w, ping);
                break;
            case ChunkType.PingReply:
                if (!PingChunk.TryRead(payload, out var reply)) return null;
                PingChunk.WriteReply(ref w, reply);
                break;
            case ChunkType.UserData:
                if (!UserDataChunk.TryRead(payload, out var ud)) return null;
                if (ud.Flags.HasOptions)
                {
                    UserDataOptions.TryRead(ud.Options, out _);
                }
                UserDataChunk.Write(ref w, ud);
                break;
            case ChunkType.NextUserData:
                if (!NextUserDataChunk.TryRead(payload, out var nud)) return null;
                if (nud.Flags.HasOptions)
                {
                    UserDataOptions.TryRead(nud.Options, out _);
                }
                NextUserDataChunk.Write(ref w, nud);
                break;
            case ChunkType.DataAcknowledgementBitmap:
            {
                if (!DataAckBitmapChunk.TryRead(payload, out var bm)) return null;
                var ranges = new List<SequenceRange>();
                foreach (var r in bm.GetRanges())
                {
                    ranges.Add(r);
                }
                DataAckBitmapChunk.Write(ref w, bm.FlowId, bm.BufferBlocksAvailable, bm.CumulativeAck, ranges.ToArray());
                break;
            }
            case ChunkType.DataAcknowledgementRanges:
            {
                if (!DataAckRangesChunk.TryRead(payload, out var ra)) return null;
                var ranges = new List<SequenceRange>();
                foreach (var r in ra.GetRanges())
                {
                    ranges.Add(r);
                }
                DataAckRangesChunk.Write(ref w, ra.FlowId, ra.BufferBlocksAvailable, ra.CumulativeAck, ranges.ToArray());
                break;
            }
            case ChunkType.BufferProbe:
                if (!BufferProbeChunk.TryRead(payload, out var bp)) return null;
                BufferProbeChunk.Write(ref w, bp);
                break;
            case ChunkType.FlowExceptionReport:
                if (!FlowExceptionReportChunk.TryRead(payload, out var fe)) return null;
                FlowExceptionReportChunk.Write(ref w, fe);
                break;
            case ChunkType.SessionCloseRequest:
                if (!SessionCloseChunk.TryRead(payload)) return null;
                SessionCloseChunk.WriteRequest(ref w);
                break;
            case ChunkType.SessionCloseAcknowledgement:
                if (!SessionCloseChunk.TryRead(payload)) return null;
                SessionCloseChunk.WriteAcknowledgement(ref w);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type));
        }
        var written = w.Written;
        Assert.Equal((byte)type, written[0]);
        Assert.Equal(written.Length - 3, (written[1] << 8) | written[2]);
        return withHeader ? written.ToArray() : written[3..].ToArray();
    }
}
