using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Tests.Wire;

public class VluAndOptionTests
{
    [Theory]
    [InlineData(0UL, "00")]
    [InlineData(127UL, "7F")]
    [InlineData(128UL, "8100")]
    [InlineData(300UL, "822C")]
    [InlineData(16383UL, "FF7F")]
    [InlineData(16384UL, "818000")]
    [InlineData(2097152UL, "81808000")]
    [InlineData(ulong.MaxValue, "81FFFFFFFFFFFFFFFF7F")]
    public void Vlu_matches_rfc_examples(ulong value, string hex)
    {
        var expected = Convert.FromHexString(hex);
        Span<byte> buf = stackalloc byte[Vlu.MaxLength];
        int n = Vlu.Write(buf, value);
        Assert.Equal(expected, buf[..n].ToArray());
        Assert.Equal(n, Vlu.GetLength(value));
        Assert.True(Vlu.TryRead(expected, out ulong back, out int consumed));
        Assert.Equal(value, back);
        Assert.Equal(expected.Length, consumed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("80")]
    [InlineData("FFFF")]
    [InlineData("82FFFFFFFFFFFFFFFF7F")] // 2^64 + ...: over 64 bits
    public void Vlu_rejects_truncation_and_overflow(string hex)
    {
        Assert.False(Vlu.TryRead(Convert.FromHexString(hex), out _, out _));
    }

    [Fact]
    public void Option_list_round_trips_and_stops_at_marker()
    {
        Span<byte> buf = stackalloc byte[64];
        var w = new WireWriter(buf);
        OptionCodec.Write(ref w, 0x15, new byte[] { 1, 2, 3 });
        OptionCodec.WriteVluOption(ref w, 0x0a, 300);
        OptionCodec.Write(ref w, 0x02, ReadOnlySpan<byte>.Empty);
        OptionCodec.WriteMarker(ref w);
        w.WriteByte(0xEE); // trailing data after the list
        var list = new OptionListReader(w.Written);
        Assert.True(list.TryReadNext(out var o1));
        Assert.Equal(0x15UL, o1.Type);
        Assert.Equal(new byte[] { 1, 2, 3 }, o1.Value.ToArray());
        Assert.True(list.TryReadNext(out var o2));
        Assert.Equal(0x0aUL, o2.Type);
        Assert.True(Vlu.TryRead(o2.Value, out ulong v, out _));
        Assert.Equal(300UL, v);
        Assert.True(list.TryReadNext(out var o3));
        Assert.Equal(0x02UL, o3.Type);
        Assert.True(o3.Value.IsEmpty);
        Assert.False(list.TryReadNext(out _));
        Assert.True(list.Completed);
        Assert.Equal(w.Position - 1, list.Consumed);
    }

    [Theory]
    [InlineData("05150102")]   // length 5 overruns 3 remaining bytes
    [InlineData("0315")]       // truncated
    [InlineData("0281")]       // type VLU truncated inside the option
    [InlineData("021501")]     // no marker
    public void Option_list_rejects_malformed(string hex)
    {
        var list = new OptionListReader(Convert.FromHexString(hex));
        while (list.TryReadNext(out _))
        {
        }
        Assert.False(list.Completed);
    }
}
