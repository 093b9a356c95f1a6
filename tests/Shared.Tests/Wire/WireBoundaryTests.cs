using System.Net;
using System.Net.Sockets;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Tests.Wire;

/// <summary>
/// The exact edges of the wire readers and writers: the last value a bound accepts and the first it refuses,
/// overflow guards at 2⁶⁴, reader state after a failure, and lengths that size the startup packets (the mutants
/// Stryker.NET found alive in docs/testing.md).
/// </summary>
public class WireBoundaryTests
{
    private static byte[] Vlus(params ulong[] values)
    {
        var buffer = new byte[values.Length * 10];
        var w = new WireWriter(buffer);
        foreach (ulong v in values)
        {
            w.WriteVlu(v);
        }
        return buffer[..w.Position];
    }

    private static List<SequenceRange> Ranges(ulong cumulativeAck, byte[] encoded)
    {
        var list = new List<SequenceRange>();
        foreach (var range in new AckRangeReader(cumulativeAck, encoded))
        {
            list.Add(range);
        }
        return list;
    }

    [Fact]
    public void Range_ack_reaches_the_last_sequence_number_but_not_past_it()
    {
        // cumulativeAck + 2 + holes lands exactly on 2^64 - 1.
        Assert.Equal([new SequenceRange(ulong.MaxValue, ulong.MaxValue)], Ranges(ulong.MaxValue - 2, Vlus(0, 0)));
        // A range that ends exactly on 2^64 - 1.
        Assert.Equal([new SequenceRange(2, ulong.MaxValue)], Ranges(0, Vlus(0, ulong.MaxValue - 2)));
        // One past it, through the holes or through the received count, ends the iteration.
        Assert.Empty(Ranges(ulong.MaxValue - 1, Vlus(0, 0)));
        Assert.Empty(Ranges(0, Vlus(0, ulong.MaxValue - 1)));
        Assert.Empty(Ranges(10, Vlus(ulong.MaxValue - 11, 0)));
    }

    [Fact]
    public void Range_ack_gaps_and_lengths_are_decoded_from_the_cursor()
    {
        Assert.Equal([new SequenceRange(112, 112)], Ranges(10, Vlus(100, 0)));
        Assert.Equal([new SequenceRange(2, 7), new SequenceRange(1009, 1009)], Ranges(0, Vlus(0, 5, 1000, 0)));
    }

    [Theory]
    [InlineData(ulong.MaxValue, 0UL)]           // the holes overflow
    [InlineData(0UL, ulong.MaxValue)]           // the received count overflows
    public void Range_ack_stays_stopped_after_an_overflowing_pair(ulong holesMinusOne, ulong receivedMinusOne)
    {
        var reader = new AckRangeReader(5, Vlus(holesMinusOne, receivedMinusOne, 0, 0));
        Assert.False(reader.MoveNext());
        Assert.False(reader.MoveNext()); // the valid pair after it is not read
    }

    [Fact]
    public void The_most_compact_ack_is_a_range_ack_on_a_tie()
    {
        SequenceRange[] ranges = [new(2, 10)];
        Assert.Equal(DataAckRangesChunk.GetPayloadLength(1, 1, 0, ranges), DataAckBitmapChunk.GetPayloadLength(1, 1, 0, ranges));
        AckEncoder.GetMostCompactLength(1, 1, 0, ranges, out var type);
        Assert.Equal(ChunkType.DataAcknowledgementRanges, type);
        // One sequence number fewer and the bit field is a byte shorter: the bitmap wins.
        AckEncoder.GetMostCompactLength(1, 1, 0, [new(2, 9)], out type);
        Assert.Equal(ChunkType.DataAcknowledgementBitmap, type);
    }

    [Fact]
    public void FitRanges_counts_each_gap_from_the_previous_range()
    {
        // The gap 134 - 5 - 2 = 127 is the largest one-byte VLU: the chunk is exactly the budget.
        SequenceRange[] ranges = [new(134, 134)];
        int exact = 3 + DataAckRangesChunk.GetPayloadLength(1, 1, 5, ranges);
        Assert.Equal(1, AckEncoder.FitRanges(1, 1, 5, ranges, exact));
        Assert.Equal(0, AckEncoder.FitRanges(1, 1, 5, ranges, exact - 1));
        Assert.Throws<ArgumentException>(() => AckEncoder.FitRanges(1, 1, 5, [new SequenceRange(6, 6)], 1000));
    }

    [Fact]
    public void FitRanges_fills_a_payload_of_exactly_65535_bytes()
    {
        // Three one-byte header VLUs and two-byte pairs: 3 + 2 × 32766 = 65535.
        var ranges = new SequenceRange[32767];
        ulong cursor = 0;
        for (int i = 0; i < ranges.Length; i++)
        {
            ranges[i] = new SequenceRange(cursor + 2, cursor + 2);
            cursor += 2;
        }
        Assert.Equal(32766, AckEncoder.FitRanges(1, 1, 0, ranges, int.MaxValue));
        Assert.Equal(PacketLimits.MaxChunkPayloadLength, DataAckRangesChunk.GetPayloadLength(1, 1, 0, ranges.AsSpan(0, 32766)));
        var buffer = new byte[70_000];
        var w = new WireWriter(buffer);
        DataAckRangesChunk.Write(ref w, 1, 1, 0, ranges.AsSpan(0, 32766));
        Assert.Equal(3 + PacketLimits.MaxChunkPayloadLength, w.Position);
    }

    [Fact]
    public void Bitmap_ack_accepts_a_bit_field_that_ends_on_the_last_sequence_number()
    {
        // One byte of bit field: its highest bit acknowledges cumulativeAck + 9.
        Assert.True(DataAckBitmapChunk.TryRead([.. Vlus(1, 1, ulong.MaxValue - 9), 0x80], out var chunk));
        Assert.Equal([new SequenceRange(ulong.MaxValue, ulong.MaxValue)], Collect(chunk.GetRanges()));
        Assert.False(DataAckBitmapChunk.TryRead([.. Vlus(1, 1, ulong.MaxValue - 8), 0x80], out _));
    }

    private static List<SequenceRange> Collect(AckBitmapReader reader)
    {
        var list = new List<SequenceRange>();
        foreach (var range in reader)
        {
            list.Add(range);
        }
        return list;
    }

    [Fact]
    public void Bitmap_sizes_saturate_instead_of_wrapping()
    {
        SequenceRange[] far = [new(1UL << 40, 1UL << 40)];
        Assert.Equal(int.MaxValue, DataAckBitmapChunk.GetBitmapLength(0, far));
        Assert.Equal(int.MaxValue, DataAckBitmapChunk.GetPayloadLength(1, 1, 0, far));
        var w = new WireWriter(new byte[64]);
        Assert.Equal(ChunkType.DataAcknowledgementRanges, AckEncoder.WriteMostCompact(ref w, 1, 1, 0, far));
    }

    [Fact]
    public void Bitmap_ack_clears_a_reused_buffer()
    {
        var buffer = new byte[64];
        Array.Fill(buffer, (byte)0xFF);
        var w = new WireWriter(buffer);
        SequenceRange[] ranges = [new(2, 2), new(20, 21)];
        DataAckBitmapChunk.Write(ref w, 1, 1, 0, ranges);
        Assert.True(DataAckBitmapChunk.TryRead(buffer.AsSpan(3, w.Position - 3), out var chunk));
        Assert.Equal(ranges, Collect(chunk.GetRanges()));
    }

    [Fact]
    public void Exactly_the_defined_chunk_types_are_known()
    {
        for (int b = 0; b <= 0xFF; b++)
        {
            var type = (ChunkType)b;
            Assert.Equal(Enum.IsDefined(type), ChunkTypes.IsKnown(type));
        }
        Assert.Equal(20, Enum.GetValues<ChunkType>().Length);
    }

    [Fact]
    public void Reader_bounds_are_exact()
    {
        var r = new WireReader([0x12]);
        Assert.False(r.TryReadUInt16(out _));
        Assert.Equal(0, r.Position);
        r = new WireReader([0x12, 0x34]);
        Assert.True(r.TryReadUInt16(out ushort u16));
        Assert.Equal(0x1234, u16);
        Assert.Equal(2, r.Position);
        r = new WireReader([1, 2, 3, 4]);
        Assert.True(r.TryReadUInt32(out uint u32));
        Assert.Equal(0x01020304u, u32);
        Assert.True(r.IsEmpty);
        r = new WireReader([1, 2, 3]);
        Assert.False(r.TryReadUInt32(out _));
        Assert.True(r.TryReadBytes(0, out var none) && none.IsEmpty);
        Assert.False(r.TryReadBytes(-1, out _));
        Assert.False(r.TryReadBytes(4, out _));
        Assert.True(r.TryReadBytes(3, out var all) && all.Length == 3);
        Assert.Equal(3, r.Position);
    }

    [Fact]
    public void Writer_fill_writes_and_advances()
    {
        var buffer = new byte[6];
        var w = new WireWriter(buffer);
        w.WriteByte(1);
        w.Fill(0xAB, 3);
        w.WriteByte(2);
        Assert.Equal(5, w.Position);
        Assert.Equal(new byte[] { 1, 0xAB, 0xAB, 0xAB, 2, 0 }, buffer);
    }

    [Fact]
    public void Chunk_headers_take_up_to_65535_payload_bytes()
    {
        var buffer = new byte[70_000];
        var w = new WireWriter(buffer);
        ChunkWriter.WriteHeader(ref w, ChunkType.Ping, PacketLimits.MaxChunkPayloadLength);
        Assert.Equal(new byte[] { 0x01, 0xFF, 0xFF }, buffer[..3]);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            var w2 = new WireWriter(new byte[8]);
            ChunkWriter.WriteHeader(ref w2, ChunkType.Ping, PacketLimits.MaxChunkPayloadLength + 1);
        });

        w = new WireWriter(buffer);
        var mark = ChunkWriter.Begin(ref w, ChunkType.Ping);
        ChunkWriter.End(ref w, mark);
        Assert.Equal(new byte[] { 0x01, 0x00, 0x00 }, buffer[..3]);
        w = new WireWriter(buffer);
        mark = ChunkWriter.Begin(ref w, ChunkType.Ping);
        w.Fill(0, PacketLimits.MaxChunkPayloadLength);
        ChunkWriter.End(ref w, mark);
        Assert.Equal(new byte[] { 0x01, 0xFF, 0xFF }, buffer[..3]);
        Assert.Throws<InvalidOperationException>(() =>
        {
            var w3 = new WireWriter(new byte[70_000]);
            var m = ChunkWriter.Begin(ref w3, ChunkType.Ping);
            w3.Fill(0, PacketLimits.MaxChunkPayloadLength + 1);
            ChunkWriter.End(ref w3, m);
        });
    }

    [Fact]
    public void Timestamps_tick_every_4_ms_and_wrap_at_16_bits()
    {
        Assert.Equal(250, Timestamp.FromMilliseconds(1000));
        Assert.Equal(2, Timestamp.FromMilliseconds(4 * 65536 + 8));
    }

    [Theory]
    [InlineData(new byte[] { 0x00, 0x00, 0x00 })]
    [InlineData(new byte[] { 0x0C, 0x12, 0x34 })] // TS and TCR but no mode
    public void A_packet_without_a_mode_is_not_a_packet(byte[] packet) =>
        Assert.False(PacketHeader.TryRead(packet, out _, out _));

    [Fact]
    public void User_data_flags_compose_and_read_back()
    {
        var flags = UserDataFlagBits.Create(FragmentControl.Begin, abandon: true);
        Assert.Equal(UserDataFlags.Abandon, flags & UserDataFlags.Abandon);
        Assert.Equal(FragmentControl.Begin, UserDataFlagBits.GetFragmentControl(flags));
        Assert.Equal((UserDataFlags)0, flags & UserDataFlags.Final);

        var ud = new UserDataChunk(UserDataFlagBits.Create(FragmentControl.Whole), 1, 1, 0, default, [1]);
        Assert.False(ud.Flags.IsFinal);
        Assert.False(ud.Flags.IsAbandoned);
    }

    [Fact]
    public void Next_user_data_reads_its_flags_and_sizes()
    {
        var flags = UserDataFlags.Final | UserDataFlags.Abandon | UserDataFlags.OptionsPresent;
        var chunk = new NextUserDataChunk(flags, default, [1, 2, 3]);
        Assert.Equal(UserDataFlags.Final | UserDataFlags.Abandon, chunk.Flags); // OPT follows the options, nothing else changes
        Assert.Equal(3 + 1 + 3, chunk.Length);
        Assert.Equal(3 + 1 + 5, NextUserDataChunk.GetOverhead(5));

        var bytes = ChunkSamples.Build((ref WireWriter w) => NextUserDataChunk.Write(ref w, new NextUserDataChunk(UserDataFlags.Final, default, [9])));
        Assert.True(NextUserDataChunk.TryRead(bytes.AsSpan(3), out var read));
        Assert.True(read.Flags.IsFinal);
        Assert.False(read.Flags.IsAbandoned);
        Assert.Equal(bytes.Length, read.Length);
        bytes = ChunkSamples.Build((ref WireWriter w) => NextUserDataChunk.Write(ref w, new NextUserDataChunk(UserDataFlags.Abandon, default, [9])));
        Assert.True(NextUserDataChunk.TryRead(bytes.AsSpan(3), out read));
        Assert.False(read.Flags.IsFinal);
        Assert.True(read.Flags.IsAbandoned);
    }

    [Fact]
    public void Every_parsed_chunk_reports_its_own_length()
    {
        int n = 0;
        foreach (var (type, chunk, _) in ChunkSamples.All())
        {
            var payload = chunk.AsSpan(3);
            int length = type switch
            {
                ChunkType.Ping or ChunkType.PingReply => PingChunk.TryRead(payload, out var c) ? c.Length : -1,
                ChunkType.BufferProbe => BufferProbeChunk.TryRead(payload, out var c) ? c.Length : -1,
                ChunkType.FlowExceptionReport => FlowExceptionReportChunk.TryRead(payload, out var c) ? c.Length : -1,
                ChunkType.IHello => IHelloChunk.TryRead(payload, out var c) ? c.Length : -1,
                ChunkType.FIHello => FIHelloChunk.TryRead(payload, out var c) ? c.Length : -1,
                ChunkType.RHello => RHelloChunk.TryRead(payload, out var c) ? c.Length : -1,
                ChunkType.RHelloCookieChange => RHelloCookieChangeChunk.TryRead(payload, out var c) ? c.Length : -1,
                ChunkType.ResponderRedirect => ResponderRedirectChunk.TryRead(payload, out var c) ? c.Length : -1,
                ChunkType.IIKeying => IIKeyingChunk.TryRead(payload, out var c) ? c.Length : -1,
                ChunkType.RIKeying => RIKeyingChunk.TryRead(payload, out var c) ? c.Length : -1,
                ChunkType.UserData => UserDataChunk.TryRead(payload, out var c) ? c.Length : -1,
                ChunkType.NextUserData => NextUserDataChunk.TryRead(payload, out var c) ? c.Length : -1,
                ChunkType.PacketFragment => PacketFragmentChunk.TryRead(payload, out var c) ? c.Length : -1,
                _ => chunk.Length,
            };
            Assert.True(chunk.Length == length, $"{type}: {length} for a {chunk.Length}-byte chunk");
            n++;
        }
        Assert.Equal(20, n);
    }

    [Fact]
    public void Packet_fragments_carry_the_more_flag_and_are_never_empty()
    {
        var bytes = ChunkSamples.Build((ref WireWriter w) => PacketFragmentChunk.Write(ref w, new PacketFragmentChunk(true, 7, 1, [1])));
        Assert.Equal(0x80, bytes[3]);
        Assert.True(PacketFragmentChunk.TryRead(bytes.AsSpan(3), out var c) && c.MoreFragments);
        Assert.Throws<InvalidOperationException>(() =>
        {
            var w = new WireWriter(new byte[16]);
            PacketFragmentChunk.Write(ref w, new PacketFragmentChunk(false, 7, 1, default));
        });
    }

    [Fact]
    public void A_redirect_written_from_a_parsed_chunk_is_the_same_bytes()
    {
        byte[] tag = [1, 2, 3, 4];
        Address[] destinations = [Address.FromIPv4(0x7F000001, 1935, AddressOrigin.Local), Address.FromBytes(IPAddress.IPv6Loopback.GetAddressBytes(), 80)];
        var original = ChunkSamples.Build((ref WireWriter w) => ResponderRedirectChunk.Write(ref w, tag, destinations));
        Assert.Equal(3 + ResponderRedirectChunk.GetPayloadLength(tag.Length, destinations), original.Length);
        Assert.True(ResponderRedirectChunk.TryRead(original.AsSpan(3), out var parsed));
        Assert.Equal(original.Length - 3, parsed.PayloadLength);
        var copy = new byte[original.Length];
        var cw = new WireWriter(copy);
        ResponderRedirectChunk.Write(ref cw, parsed);
        Assert.Equal(original, copy);
    }

    [Fact]
    public void User_data_options_written_to_a_span_read_back()
    {
        var buffer = new byte[32];
        int n = UserDataOptions.Write(buffer, [0xAA, 0xBB], 7);
        Assert.Equal(UserDataOptions.GetLength([0xAA, 0xBB], 7), n);
        Assert.True(UserDataOptions.TryRead(buffer.AsSpan(0, n), out var options));
        Assert.Equal(new byte[] { 0xAA, 0xBB }, options.Metadata.ToArray());
        Assert.True(options.HasReturnFlowAssociation);
        Assert.Equal(7UL, options.ReturnFlowId);
    }

    [Fact]
    public void An_option_list_reader_stays_failed_or_completed()
    {
        // A truncated option (length 5, one byte of body), then a valid list after it.
        var failed = new OptionListReader([0x05, 0x01, 0x01, 0x00, 0x00]);
        Assert.False(failed.TryReadNext(out _));
        Assert.True(failed.Failed);
        Assert.False(failed.Completed);
        Assert.False(failed.TryReadNext(out _));
        Assert.True(failed.Failed);

        var done = new OptionListReader([0x00, 0x02, 0x01, 0x00]);
        Assert.False(done.TryReadNext(out _));
        Assert.True(done.Completed);
        Assert.False(done.TryReadNext(out _));
        Assert.Equal(1, done.Consumed);
    }

    [Fact]
    public void Socket_addresses_of_the_minimal_size_are_read()
    {
        var v4 = new SocketAddress(AddressFamily.InterNetwork, 8);
        var span = v4.Buffer.Span;
        span[2] = 0x07;
        span[3] = 0x8F;
        span[4] = 10;
        span[7] = 1;
        Assert.True(Address.TryFromSocketAddress(v4, AddressOrigin.Observed, out var a));
        Assert.Equal(Address.FromIPv4(0x0A000001, 1935, AddressOrigin.Observed), a);

        var v6 = new SocketAddress(AddressFamily.InterNetworkV6, 24);
        span = v6.Buffer.Span;
        span[3] = 80;
        span[23] = 1;
        Assert.True(Address.TryFromSocketAddress(v6, AddressOrigin.Observed, out a));
        Assert.Equal(Address.FromBytes(IPAddress.IPv6Loopback.GetAddressBytes(), 80, AddressOrigin.Observed), a);
        Assert.False(Address.TryFromSocketAddress(new SocketAddress(AddressFamily.InterNetworkV6, 23), AddressOrigin.Observed, out _));
    }

    [Fact]
    public void Writing_into_a_reused_IPv6_socket_address_clears_flow_info_and_scope()
    {
        var sa = new SocketAddress(AddressFamily.InterNetworkV6);
        sa.Buffer.Span[4..].Fill(0xEE);
        var address = Address.FromBytes(IPAddress.Parse("2001:db8::7").GetAddressBytes(), 4242);
        address.WriteTo(sa);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("2001:db8::7"), 4242), new IPEndPoint(IPAddress.IPv6Any, 0).Create(sa));
        Assert.Equal(new byte[4], sa.Buffer.Span.Slice(4, 4).ToArray());
        Assert.Equal(new byte[4], sa.Buffer.Span.Slice(24, 4).ToArray());
    }

    [Fact]
    public void Only_IPv4_mapped_addresses_are_unmapped()
    {
        var plain6 = Address.FromBytes(IPAddress.Parse("2001:db8::ffff:0:1").GetAddressBytes(), 1);
        Assert.False(plain6.IsIPv4MappedIPv6);
        Assert.Equal(plain6, plain6.UnmapIPv4());
        Assert.Equal(plain6, plain6.MapToIPv6());
        var v4 = Address.FromIPv4(0x0A000001, 1);
        Assert.False(v4.IsIPv4MappedIPv6);
        var mapped = v4.MapToIPv6();
        Assert.True(mapped.IsIPv6 && mapped.IsIPv4MappedIPv6);
        Assert.Equal(v4, mapped.UnmapIPv4());
    }

    [Fact]
    public void Endpoints_are_equal_only_with_the_same_address_and_port()
    {
        var a = Address.FromIPv4(0x0A000001, 1935, AddressOrigin.Local);
        Assert.True(a.EndpointEquals(Address.FromIPv4(0x0A000001, 1935, AddressOrigin.Observed)));
        Assert.False(a.EndpointEquals(Address.FromIPv4(0x0A000001, 1936)));
        Assert.False(a.EndpointEquals(Address.FromIPv4(0x0A000002, 1935)));
        Assert.True(a != Address.FromIPv4(0x0A000001, 1935, AddressOrigin.Observed));
        Assert.False(a != Address.FromIPv4(0x0A000001, 1935, AddressOrigin.Local));
    }
}
