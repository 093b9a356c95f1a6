using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Tests.Wire;

/// <summary>Every chunk written into a packet, found again by the chunk iterator, parsed, and compared field by field.</summary>
public class ChunkRoundTripTests
{
    private static readonly byte[] Tag = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];

    /// <summary>Writes a mode-appropriate packet holding the chunk and returns the payload the iterator yields for it.</summary>
    private static byte[] ThroughPacket(ChunkType type, byte[] chunk)
    {
        var mode = ChunkTypes.IsStartup(type) ? PacketMode.Startup : PacketMode.ResponderMark;
        var packet = new byte[chunk.Length + 16];
        var w = new WireWriter(packet);
        new PacketHeader(mode, timestamp: 0x1234).Write(ref w);
        w.WriteBytes(chunk);
        w.Fill(0xFF, w.Remaining);
        Assert.True(PlainPacket.TryRead(packet, out var header, out var chunks));
        Assert.Equal(mode, header.Mode);
        Assert.True(chunks.MoveNext());
        Assert.Equal(type, chunks.Current.Type);
        Assert.True(ChunkTypes.IsAllowedInMode(type, header.Mode));
        var payload = chunks.Current.Payload.ToArray();
        Assert.False(chunks.MoveNext());
        return payload;
    }

    [Fact]
    public void Every_sample_chunk_round_trips_byte_for_byte()
    {
        int n = 0;
        foreach (var (type, chunk, _) in ChunkSamples.All())
        {
            var payload = ThroughPacket(type, chunk);
            Assert.Equal(chunk[3..], payload);
            Assert.Equal(chunk, ChunkSamples.Reencode(type, payload, withHeader: true));
            n++;
        }
        Assert.Equal(20, n);
    }

    [Fact]
    public void PacketFragment_fields()
    {
        Span<byte> frag = stackalloc byte[] { 0xAA, 0xBB };
        var bytes = ChunkSamples.Build((ref WireWriter w) => PacketFragmentChunk.Write(ref w, new PacketFragmentChunk(false, 1UL << 40, 0, [0xAA, 0xBB])));
        Assert.True(PacketFragmentChunk.TryRead(ThroughPacket(ChunkType.PacketFragment, bytes), out var c));
        Assert.False(c.MoreFragments);
        Assert.Equal(1UL << 40, c.PacketId);
        Assert.Equal(0UL, c.FragmentNumber);
        Assert.Equal(frag.ToArray(), c.Fragment.ToArray());
        Assert.Equal(bytes.Length, c.Length);
        Assert.False(PacketFragmentChunk.TryRead([0x80, 0x01, 0x00], out _)); // empty fragment MUST NOT be accepted
    }

    [Fact]
    public void Writing_from_stack_spans_into_a_heap_buffer_compiles_and_works()
    {
        Span<byte> epd = stackalloc byte[] { 0x05, 0x0A, 0x6C, 0x69, 0x76, 0x65 };
        var buffer = new byte[64];
        var w = new WireWriter(buffer);
        IHelloChunk.Write(ref w, new IHelloChunk(epd, Tag));
        Assert.Equal("30001706050a6c697665", Convert.ToHexStringLower(buffer.AsSpan(0, 10)));
        Assert.Equal(3 + 1 + 6 + 16, w.Position);
    }

    [Fact]
    public void FIHello_fields()
    {
        var reply = Address.FromIPv4(0x0A000001, 1935, AddressOrigin.Observed);
        var bytes = ChunkSamples.Build((ref WireWriter w) => FIHelloChunk.Write(ref w, new FIHelloChunk([0x21, 0x0F, 0xEE], reply, Tag)));
        Assert.True(FIHelloChunk.TryRead(ThroughPacket(ChunkType.FIHello, bytes), out var c));
        Assert.Equal(new byte[] { 0x21, 0x0F, 0xEE }, c.EndpointDiscriminator.ToArray());
        Assert.Equal(reply, c.ReplyAddress);
        Assert.Equal(Tag, c.Tag.ToArray());
        Assert.False(ChunkTypes.IsAllowedInMode(ChunkType.FIHello, PacketMode.Startup));
    }

    [Fact]
    public void Redirect_without_addresses_is_implied()
    {
        var bytes = ChunkSamples.Build((ref WireWriter w) => ResponderRedirectChunk.Write(ref w, Tag, ReadOnlySpan<Address>.Empty));
        Assert.True(ResponderRedirectChunk.TryRead(ThroughPacket(ChunkType.ResponderRedirect, bytes), out var c));
        Assert.True(c.IsImpliedRedirect);
        Assert.Equal(Tag, c.TagEcho.ToArray());
        Assert.False(c.GetDestinations().MoveNext());
        // A trailing partial address makes the whole chunk a syntax error.
        Assert.False(ResponderRedirectChunk.TryRead([.. bytes[3..], 0x00, 0x7F], out _));
    }

    [Fact]
    public void CookieChange_IIKeying_RIKeying_fields()
    {
        var cc = ChunkSamples.Build((ref WireWriter w) => RHelloCookieChangeChunk.Write(ref w, new RHelloCookieChangeChunk([1, 2], [3, 4, 5])));
        Assert.True(RHelloCookieChangeChunk.TryRead(ThroughPacket(ChunkType.RHelloCookieChange, cc), out var c));
        Assert.Equal(new byte[] { 1, 2 }, c.OldCookie.ToArray());
        Assert.Equal(new byte[] { 3, 4, 5 }, c.NewCookie.ToArray());

        var signed = ChunkSamples.Build((ref WireWriter w) =>
            IIKeyingChunk.WriteSignedParameters(ref w, new IIKeyingChunk(0xDEADBEEF, [1], [2, 2], [3, 3, 3], [0x58])));
        Assert.Equal("deadbeef" + "0101" + "020202" + "03030303", Convert.ToHexStringLower(signed));
        var ikBytes = ChunkSamples.Build((ref WireWriter w) => IIKeyingChunk.Write(ref w, new IIKeyingChunk(0xDEADBEEF, [1], [2, 2], [3, 3, 3], [0x58])));
        Assert.True(IIKeyingChunk.TryRead(ThroughPacket(ChunkType.IIKeying, ikBytes), out var i));
        Assert.Equal(0xDEADBEEFu, i.InitiatorSessionId);
        Assert.Equal(signed, i.SignedParameters.ToArray());
        Assert.Equal(new byte[] { 0x58 }, i.Signature.ToArray());
        Assert.Equal(new byte[] { 3, 3, 3 }, i.SessionKeyInitiatorComponent.ToArray());

        var rkBytes = ChunkSamples.Build((ref WireWriter w) => RIKeyingChunk.Write(ref w, new RIKeyingChunk(7, [9, 9], [])));
        Assert.Equal("78000700000007020909", Convert.ToHexStringLower(rkBytes));
        Assert.True(RIKeyingChunk.TryRead(rkBytes[3..], out var r));
        Assert.Equal(7u, r.ResponderSessionId);
        Assert.True(r.Signature.IsEmpty);
        Assert.Equal(rkBytes[3..], r.SignedParametersPortion.ToArray());
    }

    [Fact]
    public void Ping_and_reply_keep_the_message_including_empty()
    {
        Assert.Equal("010000", Convert.ToHexStringLower(ChunkSamples.Build((ref WireWriter w) => PingChunk.Write(ref w, new PingChunk([])))));
        var bytes = ChunkSamples.Build((ref WireWriter w) => PingChunk.WriteReply(ref w, new PingChunk([5, 6])));
        Assert.True(PingChunk.TryRead(ThroughPacket(ChunkType.PingReply, bytes), out var r));
        Assert.Equal(new byte[] { 5, 6 }, r.Message.ToArray());
    }

    [Fact]
    public void UserData_fields_flags_and_options()
    {
        byte[] options = ChunkSamples.Build((ref WireWriter w) => UserDataOptions.Write(ref w, [0x54, 0x43, 0x04, 0x01], 2));
        Assert.Equal("05005443040102" + "0a02" + "00", Convert.ToHexStringLower(options));
        Assert.Equal(options.Length, UserDataOptions.GetLength([0x54, 0x43, 0x04, 0x01], 2));
        var flags = UserDataFlagBits.Create(FragmentControl.End, abandon: false, final: true);
        var bytes = ChunkSamples.Build((ref WireWriter w) => UserDataChunk.Write(ref w, new UserDataChunk(flags, 3, 1000, 10, options, [0xAB])));
        Assert.Equal(UserDataChunk.GetOverhead(3, 1000, 10, options.Length) + 1, bytes.Length);
        Assert.True(UserDataChunk.TryRead(ThroughPacket(ChunkType.UserData, bytes), out var c));
        Assert.Equal((byte)0xA1, (byte)c.Flags); // OPT | FRA=2 | FIN
        Assert.True(c.Flags.HasOptions);
        Assert.Equal(FragmentControl.End, c.Flags.FragmentControl);
        Assert.True(c.Flags.IsFinal);
        Assert.False(c.Flags.IsAbandoned);
        Assert.Equal((3UL, 1000UL, 10UL, 990UL), (c.FlowId, c.SequenceNumber, c.FsnOffset, c.ForwardSequenceNumber));
        Assert.Equal(options, c.Options.ToArray());
        Assert.Equal(new byte[] { 0xAB }, c.UserData.ToArray());
        Assert.True(UserDataOptions.TryRead(c.Options, out var o));
        Assert.True(o.HasMetadata);
        Assert.Equal(new byte[] { 0x54, 0x43, 0x04, 0x01 }, o.Metadata.ToArray());
        Assert.True(o.HasReturnFlowAssociation);
        Assert.Equal(2UL, o.ReturnFlowId);

        // OPT follows the presence of options whatever the caller passed.
        var plain = new UserDataChunk(UserDataFlags.OptionsPresent | UserDataFlags.Abandon, 1, 1, 0, default, default);
        Assert.False(plain.Flags.HasOptions);
        Assert.True(plain.Flags.IsAbandoned);
    }

    [Theory]
    [InlineData("0001")]             // truncated after the flow ID
    [InlineData("00010000")]         // sequence number 0 (MUST be > 0)
    [InlineData("0001020300")]       // fsnOffset 3 > sequence number 2
    [InlineData("80010101")]         // OPT set but no option list
    [InlineData("8001010103005443")] // option list without marker
    public void UserData_rejects_out_of_range_values(string hex)
    {
        Assert.False(UserDataChunk.TryRead(Convert.FromHexString(hex), out _));
    }

    [Fact]
    public void UserData_options_rules()
    {
        // Unknown type below 0x2000 must reject the flow; at or above is ignored.
        Assert.True(UserDataOptions.TryRead(Convert.FromHexString("0100" + "020b05" + "00"), out var a));
        Assert.True(a.HasUnrecognizedMandatoryOption);
        Assert.True(a.HasMetadata);
        Assert.True(a.Metadata.IsEmpty);
        Assert.True(UserDataOptions.TryRead(Convert.FromHexString("03c0000a" + "00"), out var b)); // type 0x2000, value 0a
        Assert.False(b.HasUnrecognizedMandatoryOption);
        Assert.False(b.HasMetadata);
        // Two return associations, a non-VLU value, a VLU with trailing bytes, or no marker: malformed.
        Assert.False(UserDataOptions.TryRead(Convert.FromHexString("020a01020a02" + "00"), out _));
        Assert.False(UserDataOptions.TryRead(Convert.FromHexString("020a81" + "00"), out _));
        Assert.False(UserDataOptions.TryRead(Convert.FromHexString("030a0101" + "00"), out _));
        Assert.False(UserDataOptions.TryRead(Convert.FromHexString("020a01"), out _));
    }

    [Fact]
    public void Flow_control_chunks_fields()
    {
        var bp = ChunkSamples.Build((ref WireWriter w) => BufferProbeChunk.Write(ref w, new BufferProbeChunk(300)));
        Assert.Equal("180002822c", Convert.ToHexStringLower(bp));
        Assert.True(BufferProbeChunk.TryRead(ThroughPacket(ChunkType.BufferProbe, bp), out var p));
        Assert.Equal(300UL, p.FlowId);

        var fe = ChunkSamples.Build((ref WireWriter w) => FlowExceptionReportChunk.Write(ref w, new FlowExceptionReportChunk(2, 0)));
        Assert.Equal("5e00020200", Convert.ToHexStringLower(fe));
        Assert.True(FlowExceptionReportChunk.TryRead(ThroughPacket(ChunkType.FlowExceptionReport, fe), out var e));
        Assert.Equal((2UL, 0UL), (e.FlowId, e.Exception));

        Assert.Equal("0c0000", Convert.ToHexStringLower(ChunkSamples.Build(SessionCloseChunk.WriteRequest)));
        Assert.True(SessionCloseChunk.TryRead([1])); // no fields: a payload is ignored
        Assert.Equal("4c0000", Convert.ToHexStringLower(ChunkSamples.Build(SessionCloseChunk.WriteAcknowledgement)));
    }

    [Fact]
    public void ChunkWriter_begin_end_fills_the_header_around_an_in_place_payload()
    {
        var buffer = new byte[32];
        var w = new WireWriter(buffer);
        w.WriteByte(0x09);
        var mark = ChunkWriter.Begin(ref w, ChunkType.Ping);
        w.WriteBytes([7, 7, 7, 7]);
        ChunkWriter.End(ref w, mark);
        Assert.Equal("0901000407070707", Convert.ToHexStringLower(w.Written));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            var w2 = new WireWriter(new byte[8]);
            ChunkWriter.WriteHeader(ref w2, ChunkType.Ping, 65536);
        });
    }

    [Fact]
    public void Chunk_type_mode_rules()
    {
        foreach (var type in new[] { ChunkType.IHello, ChunkType.RHello, ChunkType.ResponderRedirect,
                     ChunkType.RHelloCookieChange, ChunkType.IIKeying, ChunkType.RIKeying })
        {
            Assert.True(ChunkTypes.IsAllowedInMode(type, PacketMode.Startup));
            Assert.False(ChunkTypes.IsAllowedInMode(type, PacketMode.InitiatorMark));
            Assert.False(ChunkTypes.IsAllowedInMode(type, PacketMode.ResponderMark));
        }
        foreach (var type in new[] { ChunkType.Ping, ChunkType.UserData, ChunkType.DataAcknowledgementRanges, ChunkType.SessionCloseRequest })
        {
            Assert.False(ChunkTypes.IsAllowedInMode(type, PacketMode.Startup));
            Assert.True(ChunkTypes.IsAllowedInMode(type, PacketMode.InitiatorMark));
            Assert.True(ChunkTypes.IsAllowedInMode(type, PacketMode.ResponderMark));
        }
        foreach (var mode in new[] { PacketMode.InitiatorMark, PacketMode.ResponderMark, PacketMode.Startup })
        {
            Assert.True(ChunkTypes.IsAllowedInMode(ChunkType.PacketFragment, mode));
        }
        Assert.False(ChunkTypes.IsAllowedInMode(ChunkType.PacketFragment, PacketMode.Forbidden));
        Assert.False(ChunkTypes.IsKnown((ChunkType)0x42));
        Assert.True(ChunkTypes.IsKnown(ChunkType.FlowExceptionReport));
    }
}
