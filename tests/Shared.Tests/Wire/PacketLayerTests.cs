using System.Net;
using System.Net.Sockets;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Tests.Wire;

/// <summary>Plain packet header, chunk iteration/padding rules, multiplex scrambling and Address.</summary>
public class PacketLayerTests
{
    [Theory]
    [InlineData(PacketMode.Startup, 0x1234, null, false, false, "0b1234")]
    [InlineData(PacketMode.InitiatorMark, 0x0001, 0xFFFE, true, false, "8d0001fffe")]
    [InlineData(PacketMode.ResponderMark, null, null, false, true, "42")]
    [InlineData(PacketMode.ResponderMark, null, 0x0102, false, false, "060102")]
    public void Header_writes_and_reads(PacketMode mode, int? ts, int? tse, bool tc, bool tcr, string hex)
    {
        var header = new PacketHeader(mode, (ushort?)ts, (ushort?)tse, tc, tcr);
        var buf = new byte[5];
        int n = header.Write(buf);
        Assert.Equal(hex, Convert.ToHexStringLower(buf.AsSpan(0, n)));
        Assert.Equal(n, header.Length);
        Assert.True(PacketHeader.TryRead(buf.AsSpan(0, n), out var back, out int len));
        Assert.Equal(n, len);
        Assert.Equal((mode, tc, tcr, ts.HasValue, tse.HasValue), (back.Mode, back.TimeCritical, back.TimeCriticalReverse, back.HasTimestamp, back.HasTimestampEcho));
        Assert.Equal((ushort)(ts ?? 0), back.Timestamp);
        Assert.Equal((ushort)(tse ?? 0), back.TimestampEcho);
    }

    [Theory]
    [InlineData("")]
    [InlineData("08")]       // mode 0 MUST be discarded
    [InlineData("fc1234")]   // mode 0 with everything else set
    [InlineData("0b12")]     // truncated timestamp
    [InlineData("0d1234ff")] // truncated echo
    [InlineData("05")]       // echo flag, no bytes
    public void Header_rejects_mode_zero_and_truncation(string hex)
    {
        Assert.False(PacketHeader.TryRead(Convert.FromHexString(hex), out _, out _));
        Assert.False(PlainPacket.TryRead(Convert.FromHexString(hex), out _, out _));
    }

    [Fact]
    public void A_timestamp_flag_over_the_padding_reads_the_padding()
    {
        // A one-byte packet 0x0B after decryption: the 0xFF padding (RFC 7425 §4.6.3) supplies the timestamp, and the
        // RFC gives the receiver no way to tell. The packet parses, with nothing in it.
        Assert.True(PlainPacket.TryRead([0x0B, 0xFF, 0xFF, 0xFF, 0xFF], out var header, out var chunks));
        Assert.Equal(0xFFFF, header.Timestamp);
        Assert.False(chunks.MoveNext());
    }

    [Theory]
    [InlineData("091234" + "510003027f05", true)]                   // one Data Acknowledgement Ranges chunk (§2.3.14)
    [InlineData("091234" + "500004027f05ff" + "510003037f09", true)] // a Bitmap (§2.3.13) and a Ranges chunk
    [InlineData("01" + "510003027f05" + "ffff", true)]               // padding after it (RFC 7425 §4.6.3)
    [InlineData("091234" + "510003027f05" + "010000", false)]        // and a Ping
    [InlineData("091234" + "510003027f05" + "1000050102030405", false)] // and user data
    [InlineData("091234" + "5e000102", false)]                      // a Flow Exception Report only
    [InlineData("091234", false)]                                   // nothing at all
    [InlineData("0812", false)]                                     // mode 0
    public void Only_packets_of_acknowledgements_are_told_apart_for_the_receive_threads_fast_path(string hex, bool onlyAcks)
    {
        Assert.Equal(onlyAcks, PlainPacket.HoldsOnlyAcknowledgements(Convert.FromHexString(hex)));
    }

    [Fact]
    public void Header_keeps_reserved_bits_read_but_never_writes_them()
    {
        Assert.True(PacketHeader.TryRead([0x31], out var h, out _));
        Assert.Equal(PacketFlags.Reserved | (PacketFlags)1, h.Flags);
        Assert.Equal(PacketMode.InitiatorMark, h.Mode);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PacketHeader(PacketMode.Forbidden));
    }

    [Theory]
    [InlineData("", 0, 0)]
    [InlineData("ff", 0, 0)]                          // < 3 bytes: padding
    [InlineData("0100", 0, 0)]
    [InlineData("010000", 1, 3)]                      // empty ping, exactly fills
    [InlineData("010000ffff", 1, 3)]                  // then 2 bytes of padding
    [InlineData("010000ffffff", 1, 3)]                // 0xFF chunk with length 0xFFFF overruns: padding
    [InlineData("00000001000042000100ff000101", 1, 14)] // 0x00 padding chunk skipped, ping, unknown 0x42 is yielded too
    [InlineData("ff0001aa01000101", 1, 8)]            // 0xFF padding chunk with a payload skipped
    [InlineData("01000501", 0, 0)]                    // length overruns the remainder: padding
    public void Chunk_iterator_follows_the_padding_rules(string hex, int pings, int end)
    {
        var reader = new ChunkReader(Convert.FromHexString(hex));
        int count = 0;
        while (reader.MoveNext())
        {
            Assert.False(ChunkTypes.IsPadding(reader.Current.Type));
            if (reader.Current.Type == ChunkType.Ping)
            {
                count++;
            }
        }
        Assert.Equal(pings, count);
        Assert.Equal(end, reader.Position);
    }

    [Fact]
    public void Chunk_iterator_yields_unknown_types_with_offsets()
    {
        var reader = new ChunkReader(Convert.FromHexString("420001aa" + "01000105" + "00"));
        Assert.True(reader.MoveNext());
        Assert.Equal((ChunkType)0x42, reader.Current.Type);
        Assert.Equal(0, reader.Current.Offset);
        Assert.True(reader.MoveNext());
        Assert.Equal(ChunkType.Ping, reader.Current.Type);
        Assert.Equal(4, reader.Current.Offset);
        Assert.Equal(new byte[] { 5 }, reader.Current.Payload.ToArray());
        Assert.False(reader.MoveNext());
        Assert.False(reader.MoveNext());
    }

    [Fact]
    public void Multiplex_scramble_round_trips_for_every_length_including_short_packets()
    {
        var rng = new Random(7016);
        for (int length = 4; length <= 40; length++)
        {
            var datagram = new byte[length];
            rng.NextBytes(datagram);
            uint sid = (uint)rng.NextInt64(0, uint.MaxValue);
            Multiplex.ScrambleSessionId(datagram, sid);
            Assert.True(Multiplex.TryUnscrambleSessionId(datagram, out uint back));
            Assert.Equal(sid, back);
        }
        Assert.False(Multiplex.TryUnscrambleSessionId([1, 2, 3], out _));
        Assert.Throws<ArgumentException>(() => Multiplex.ScrambleSessionId(new byte[3], 1));
    }

    [Fact]
    public void Multiplex_pads_short_encrypted_parts_with_zeros()
    {
        // Encrypted part AA BB CC DD EE -> words AABBCCDD and EE000000.
        byte[] datagram = [0, 0, 0, 0, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE];
        Multiplex.ScrambleSessionId(datagram, 0x01020304);
        uint expected = 0x01020304u ^ 0xAABBCCDDu ^ 0xEE000000u;
        Assert.Equal(expected, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(datagram));
        Assert.Equal(0xAABBCCDDu ^ 0xEE000000u, Multiplex.ScrambleMask(datagram.AsSpan(4)));
        Assert.Equal(0u, Multiplex.ScrambleMask([]));
    }

    [Theory]
    [InlineData("127.0.0.1", 38576, AddressOrigin.Unknown, "007f00000196b0")]
    [InlineData("192.0.2.129", 50001, AddressOrigin.Local, "01c000028 1c351")]
    [InlineData("2001:db8:1::2", 50002, AddressOrigin.Observed, "8220010db8000100000000000000000002c352")]
    [InlineData("::1", 1935, AddressOrigin.Relay, "8300000000000000000000000000000001078f")]
    public void Address_encodings(string ip, int port, AddressOrigin origin, string hex)
    {
        var expected = Convert.FromHexString(hex.Replace(" ", ""));
        var address = Address.FromIPEndPoint(new IPEndPoint(IPAddress.Parse(ip), port), origin);
        Assert.Equal(expected.Length, address.Length);
        var buf = new byte[19];
        Assert.Equal(expected.Length, address.Write(buf));
        Assert.Equal(expected, buf[..expected.Length]);
        Assert.True(Address.TryRead([.. expected, 0x99], out var back, out int consumed));
        Assert.Equal(expected.Length, consumed);
        Assert.Equal(address, back);
        Assert.Equal(origin, back.Origin);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(ip), port), back.ToIPEndPoint());
        for (int cut = 0; cut < expected.Length; cut++)
        {
            Assert.False(Address.TryRead(expected.AsSpan(0, cut), out _, out _));
        }
    }

    [Fact]
    public void Address_socket_address_conversions_both_families()
    {
        foreach (var ep in new[] { new IPEndPoint(IPAddress.Loopback, 1935), new IPEndPoint(IPAddress.Parse("2001:db8::7"), 65535) })
        {
            var sa = ep.Serialize();
            Assert.True(Address.TryFromSocketAddress(sa, AddressOrigin.Observed, out var a));
            Assert.Equal(Address.FromIPEndPoint(ep, AddressOrigin.Observed), a);
            var back = a.ToSocketAddress();
            Assert.Equal(ep, (IPEndPoint)ep.Create(back));
            var reused = new SocketAddress(ep.AddressFamily);
            a.WriteTo(reused);
            Assert.Equal(ep, (IPEndPoint)ep.Create(reused));
        }
        Assert.Throws<ArgumentException>(() => Address.FromIPv4(1, 2).WriteTo(new SocketAddress(AddressFamily.InterNetworkV6)));
    }

    [Fact]
    public void Address_ipv4_mapping_origin_and_equality()
    {
        var v4 = Address.FromIPv4(0x7F000001, 80, AddressOrigin.Observed);
        var mapped = v4.MapToIPv6();
        Assert.True(mapped.IsIPv6);
        Assert.True(mapped.IsIPv4MappedIPv6);
        Assert.Equal("[::ffff:127.0.0.1]:80", mapped.ToString());
        Assert.Equal(v4, mapped.UnmapIPv4());
        Assert.False(v4.IsIPv4MappedIPv6);
        var local = v4.WithOrigin(AddressOrigin.Local);
        Assert.NotEqual(v4, local);
        Assert.True(v4.EndpointEquals(local));
        Assert.NotEqual(v4.GetHashCode(), Address.FromIPv4(0x7F000001, 81).GetHashCode());
        // Reserved flag bits are ignored on read.
        Assert.True(Address.TryRead(Convert.FromHexString("7e7f00000196b0"), out var r, out _));
        Assert.Equal(AddressOrigin.Observed, r.Origin);
        Assert.Throws<ArgumentOutOfRangeException>(() => Address.FromIPv4(1, 1, (AddressOrigin)4));
    }
}
