using Rtmfp.Shared.Amf;
using static Rtmfp.Shared.Tests.Amf.TestHex;

namespace Rtmfp.Shared.Tests.Amf;

/// <summary>AMF0 byte examples (docs/protocol-notes.md §5), decoded and re-encoded.</summary>
public class Amf0Tests
{
    public static TheoryData<string> ExactExamples => new()
    {
        "00 00 00 00 00 00 00 00 00",
        "00 3f f0 00 00 00 00 00 00",
        "00 3f c9 99 99 99 99 99 9a",
        "00 40 45 00 00 00 00 00 00",
        "00 c0 5e c0 00 00 00 00 00",
        "01 01",
        "01 00",
        "02 00 00",
        "02 00 05 \"hello\"",
        "02 00 09 e1 9a a0 e1 9b 87 e1 9a bb",
        "05",
        "06",
        "0a 00 00 00 00",
        "0a 00 00 00 03 00 3f f0 00 00 00 00 00 00 00 40 00 00 00 00 00 00 00 00 40 08 00 00 00 00 00 00",
        "03 00 01 \"a\" 02 00 01 \"a\" 00 00 09",
        "0b 42 70 2b 36 21 15 80 00 00 00",
        "0f 00 00 00 19 \"<a><b>hello world</b></a>\"",
        "10 00 0e \"org.pyamf.spam\" 00 03 \"baz\" 02 00 05 \"hello\" 00 00 09",
        "03 00 00 02 00 00 00 00 09",
        "08 00 00 00 01 00 01 \"a\" 00 3f f0 00 00 00 00 00 00 00 00 09",
    };

    [Theory]
    [MemberData(nameof(ExactExamples))]
    public void DecodesAndReencodesByteExact(string hex)
    {
        var bytes = H(hex);
        var value = ReadAmf0(bytes);
        Assert.Equal(Hex(bytes), Hex(WriteAmf0(value)));
    }

    [Fact]
    public void DecodesScalars()
    {
        Assert.Equal(-123.0, ReadAmf0(H("00 c0 5e c0 00 00 00 00 00")).AsNumber);
        Assert.Equal(0.2, ReadAmf0(H("00 3f c9 99 99 99 99 99 9a")).AsNumber);
        Assert.Equal("ᚠᛇᚻ", ReadAmf0(H("02 00 09 e1 9a a0 e1 9b 87 e1 9a bb")).AsString);
        Assert.Equal(AmfType.Null, ReadAmf0(H("05")).Type);
        Assert.Equal(AmfType.Undefined, ReadAmf0(H("06")).Type);
        Assert.Equal(true, ReadAmf0(H("01 07")).AsBoolean); // any non-zero is true
        var date = Assert.IsType<AmfDate>(ReadAmf0(H("0b 42 70 2b 36 21 15 80 00 01 e0")));
        Assert.Equal(1111111111000.0, date.MillisecondsSinceEpoch); // time zone ignored
        Assert.Equal(AmfType.Undefined, ReadAmf0(H("0d")).Type); // unsupported → undefined (A9)
    }

    [Fact]
    public void EmptyKeyIsARealPropertyNotTheEnd()
    {
        var o = Assert.IsType<AmfObject>(ReadAmf0(H("03 00 00 02 00 00 00 01 \"b\" 01 01 00 00 09")));
        Assert.Equal(2, o.Count);
        Assert.Equal("", o[""]!.AsString);
        Assert.Equal(true, o["b"]!.AsBoolean);
    }

    [Fact]
    public void EcmaArrayCountIsIgnoredAndWrittenAsEntryCount()
    {
        // pyamf test_mixed_array: count written as 0 for three entries.
        var bytes = H("08 00 00 00 00 00 01 \"a\" 00 3f f0 00 00 00 00 00 00 00 01 \"b\" 00 40 00 00 00 00 00 00 00 00 01 \"c\" 00 40 08 00 00 00 00 00 00 00 00 09");
        var a = Assert.IsType<AmfArray>(ReadAmf0(bytes));
        Assert.True(a.IsEcmaArray);
        Assert.Equal(3, a.Associative.Count);
        Assert.Equal(3.0, a.GetAssociative("c")!.AsNumber);
        var again = WriteAmf0(a);
        Assert.Equal("08000000030001", Hex(again.AsSpan(0, 7)));
        Assert.True(AmfEquality.DeepEquals(a, ReadAmf0(again)));
    }

    [Fact]
    public void LongStringIsUsedAboveU16()
    {
        var s = new string('a', 65537);
        var bytes = WriteAmf0(s);
        Assert.Equal("0c00010001", Hex(bytes.AsSpan(0, 5)));
        Assert.Equal(5 + 65537, bytes.Length);
        Assert.Equal(s, ReadAmf0(bytes, new AmfReader()).AsString);
        Assert.Equal("02ffff", Hex(WriteAmf0(new string('a', 65535)).AsSpan(0, 3)));
    }

    [Fact]
    public void ReferencesResolveToTheSameInstance()
    {
        // pyamf test_list_references: the same list twice in one message.
        var reader = new AmfReader();
        var bytes = H("0a 00 00 00 00 07 00 00");
        int p = 0;
        Assert.True(reader.TryReadAmf0(bytes, ref p, out var first));
        Assert.True(reader.TryReadAmf0(bytes, ref p, out var second));
        Assert.Same(first, second);

        // sile amf0-ref-test.bin: {"0": o, "1": o}; the inner object is index 1 (pre-order).
        var refTest = H("03 00 01 \"0\" 03 00 03 \"foo\" 02 00 03 \"baz\" 00 03 \"bar\" 00 40 09 1e b8 51 eb 85 1f 00 00 09 00 01 \"1\" 07 00 01 00 00 09");
        var outer = Assert.IsType<AmfObject>(ReadAmf0(refTest));
        Assert.Same(outer["0"], outer["1"]);
        Assert.Equal(3.14, outer["0"]!.GetProperty("bar")!.AsNumber);
        Assert.Equal(Hex(refTest), Hex(WriteAmf0(outer, references: true)));
        // Without references (the default, for rtmfp-cpp) the object is written twice.
        var inline = WriteAmf0(outer);
        Assert.DoesNotContain((byte)0x07, inline.AsSpan(inline.Length - 8).ToArray());
        Assert.True(AmfEquality.DeepEquals(outer, ReadAmf0(inline)));
    }

    [Fact]
    public void AvmPlusSwitchDecodesOneAmf3Value()
    {
        var array = Assert.IsType<AmfArray>(ReadAmf0(H("11 09 07 01 04 01 04 02 04 03")));
        Assert.Equal([1, 2, 3], array.Dense.Select(v => ((AmfInteger)v).Value));

        var typed = Assert.IsType<AmfObject>(ReadAmf0(H("11 0a 0b 13 \"spam.eggs\" 03 \"x\" 06 03 \"y\" 01")));
        Assert.Equal("spam.eggs", typed.ClassName);
        Assert.Equal("y", typed.GetString("x"));

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        new Amf0Writer().WriteAvmPlus(buffer, typed);
        Assert.Equal(Hex(H("11 0a 0b 13 \"spam.eggs\" 03 \"x\" 06 03 \"y\" 01")), Hex(buffer.WrittenSpan));
    }

    [Fact]
    public void Amf3TablesPersistAcrossAvmPlusSwitchesOfOnePayload()
    {
        // A8: Mona/librtmfp may name a string written by an earlier AVM+ value of the same payload.
        var reader = new AmfReader();
        var bytes = H("11 06 09 \"live\" 11 06 00");
        int p = 0;
        Assert.True(reader.TryReadAmf0(bytes, ref p, out var a));
        Assert.True(reader.TryReadAmf0(bytes, ref p, out var b));
        Assert.Equal("live", a.AsString);
        Assert.Equal("live", b.AsString);
        reader.Reset();
        p = 7;
        Assert.False(reader.TryReadAmf0(bytes, ref p, out _));
        Assert.Equal(AmfError.BadReference, reader.Error);
    }

    [Fact]
    public void Amf3OnlyValuesAreWrittenThroughAvmPlus()
    {
        var bytes = WriteAmf0(new AmfByteArray([1, 2, 3]));
        Assert.Equal("110c07010203", Hex(bytes));
        var vec = WriteAmf0(new AmfVector<int>([4, -20, 12]));
        Assert.Equal(Hex(H("11 0d 07 00 00 00 00 04 ff ff ff ec 00 00 00 0c")), Hex(vec));
        Assert.Equal("110b033c", Hex(WriteAmf0(new AmfXml("<", isDocument: false))));
        // AMF3 integers become AMF0 numbers.
        Assert.Equal("004045000000000000", Hex(WriteAmf0(new AmfInteger(42))));
    }

    [Fact]
    public void RoundTripsEveryType()
    {
        var inner = new AmfObject { ["x"] = 1.5 };
        var strict = new AmfArray([1.0, "two", AmfValue.Null, AmfValue.Undefined]);
        var mixed = new AmfArray([true]);
        mixed.Associative.Add(new("k", "v"));
        var typed = new AmfObject("com.example.Thing") { ["name"] = "n", ["child"] = inner };
        var dict = new AmfDictionary(weakKeys: true);
        dict.Entries.Add(new(new AmfInteger(3), AmfValue.False));
        var vo = new AmfVectorObject("*");
        vo.Items.Add(new AmfObject { ["p"] = "q" });
        var root = new AmfObject
        {
            ["number"] = 3.25,
            ["nan"] = double.NaN,
            ["bool"] = false,
            ["string"] = "héllo",
            ["long"] = new string('z', 70000),
            ["null"] = AmfValue.Null,
            ["undefined"] = AmfValue.Undefined,
            ["date"] = new AmfDate(1111111111000),
            ["xmldoc"] = new AmfXml("<a/>"),
            ["xml"] = new AmfXml("<e4x/>", isDocument: false),
            ["strict"] = strict,
            ["ecma"] = AmfArray.Ecma(new("w", 640.0), new("h", 480.0)),
            ["mixed"] = mixed,
            ["typed"] = typed,
            ["bytes"] = new AmfByteArray([0, 255]),
            ["vint"] = new AmfVector<int>([int.MinValue, 0, int.MaxValue], isFixed: true),
            ["vuint"] = new AmfVector<uint>([uint.MaxValue]),
            ["vdouble"] = new AmfVector<double>([0.5, -0.0]),
            ["vobject"] = vo,
            ["dict"] = dict,
            ["int"] = new AmfInteger(-5),
        };
        var bytes = WriteAmf0(root);
        var back = ReadAmf0(bytes);
        // mixed arrays come back as ECMA arrays with the dense part keyed "0".
        var mixedBack = Assert.IsType<AmfArray>(back.GetProperty("mixed"));
        Assert.Equal("0", mixedBack.Associative[0].Key);
        Assert.Equal(-5.0, back.GetProperty("int")!.AsNumber);
        Assert.IsType<AmfNumber>(back.GetProperty("int"));
        foreach (var key in new[] { "number", "nan", "bool", "string", "long", "null", "undefined", "date", "xmldoc", "xml", "strict", "ecma", "typed", "bytes", "vint", "vuint", "vdouble", "vobject", "dict" })
        {
            Assert.True(AmfEquality.DeepEquals(root[key], back.GetProperty(key)), key);
        }
        Assert.Equal(Hex(bytes), Hex(WriteAmf0(back)));
    }
}
