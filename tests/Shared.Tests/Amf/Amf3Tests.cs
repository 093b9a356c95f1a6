using Rtmfp.Shared.Amf;
using static Rtmfp.Shared.Tests.Amf.TestHex;

namespace Rtmfp.Shared.Tests.Amf;

/// <summary>AMF3 byte examples (docs/protocol-notes.md §5), decoded and re-encoded byte-exact.</summary>
public class Amf3Tests
{
    public static TheoryData<int, string> U29Examples => new()
    {
        { 0, "00" }, { 1, "01" }, { 42, "2a" }, { 127, "7f" }, { 128, "81 00" }, { 0xD4, "81 54" },
        { 0x3FFF, "ff 7f" }, { 0x4000, "81 80 00" }, { 0x1A53F, "86 ca 3f" }, { 0x1FFFFF, "ff ff 7f" },
        { 0x200000, "80 c0 80 00" }, { 0xBEEF, "82 fd 6f" }, { 0x0FFFFFFF, "bf ff ff ff" },
        { -1, "ff ff ff ff" }, { -42, "ff ff ff d6" }, { -123, "ff ff ff 85" }, { -16384, "ff ff c0 00" },
        { -0x10000000, "c0 80 80 00" },
    };

    [Theory]
    [MemberData(nameof(U29Examples))]
    public void IntegerU29(int value, string u29)
    {
        var bytes = H("04 " + u29);
        Assert.Equal(value, Assert.IsType<AmfInteger>(ReadAmf3(bytes)).Value);
        Assert.Equal(Hex(bytes), Hex(WriteAmf3(new AmfInteger(value))));
    }

    [Fact]
    public void OutOfRangeIntegersAreWrittenAsDoubles()
    {
        Assert.Equal(Hex(H("05 41 b0 00 00 00 00 00 00")), Hex(WriteAmf3(new AmfInteger(1 << 28))));
        Assert.Equal(Hex(H("05 c1 b0 00 00 01 00 00 00")), Hex(WriteAmf3(new AmfInteger(-(1 << 28) - 1))));
    }

    public static TheoryData<string> ExactExamples => new()
    {
        "00", "01", "02", "03",
        "05 3f c9 99 99 99 99 99 9a",
        "05 3f f3 c0 ca 42 83 de 1b",
        "05 ff f8 00 00 00 00 00 00",
        "05 ff f0 00 00 00 00 00 00",
        "05 7f f0 00 00 00 00 00 00",
        "06 01",
        "06 0b \"hello\"",
        "06 0d c6 92 c3 b8 c3 b8",
        "09 01 01",
        "09 09 01 04 00 04 01 04 02 04 03",
        "09 03 09 \"spam\" 06 09 \"eggs\" 01 06 0b \"hello\"",
        "09 01 07 \"bar\" 04 11 07 \"foo\" 04 00 01",
        "09 07 03 \"2\" 06 09 \"bar3\" 07 \"foo\" 06 07 \"bar\" 09 \"asdf\" 06 09 \"fdsa\" 01 06 06 06 09 \"bar1\" 06 09 \"bar2\"",
        "0a 0b 01 09 \"spam\" 06 09 \"eggs\" 01",
        "0a 0b 01 03 \"a\" 06 09 \"spam\" 03 \"b\" 04 05 01",
        "0a 0b 1d \"org.pyamf.spam\" 07 \"baz\" 06 0b \"hello\" 01",
        "0a 13 01 15 \"sealedProp\" 06 0b \"value\"",
        "09 05 01 0a 23 1f \"org.amf.ASClass\" 07 \"foo\" 07 \"baz\" 06 02 01 0a 01 06 07 \"bar\" 01",
        "09 05 01 0a 3b 01 17 \"description\" 05 \"id\" 09 \"name\" 01 04 01 06 07 \"foo\" 01 0a 01 01 04 02 06 07 \"bar\" 01",
        "09 07 01 09 05 01 0a 0b 01 07 \"foo\" 06 07 \"bar\" 01 0a 01 00 06 02 01 06 02 09 05 01 0a 04 0a 06",
        "0a 1b 01 07 \"bar\" 0a 03 01 07 \"foo\" 0a 02 01",
        "09 05 01 08 01 00 00 00 00 00 00 00 00 08 02",
        "08 01 42 70 2b 36 21 15 80 00",
        "0b 33 \"<a><b>hello world</b></a>\"",
        "07 33 \"<a><b>hello world</b></a>\"",
        "0c 0b \"hello\"",
        "0c 07 01 02 03",
        "09 05 01 0c 09 \"ASDF\" 0c 02",
        "0d 01 00",
        "0d 01 01",
        "0d 07 00 00 00 00 04 ff ff ff ec 00 00 00 0c",
        "0e 05 01 80 00 00 00 ff ff ff ff",
        "0f 03 00 3f e0 00 00 00 00 00 00",
        "10 03 00 01 0a 0b 01 09 \"prop\" 06 07 \"val\" 01",
        "10 07 00 1f \"org.amf.ASClass\" 0a 23 00 07 \"foo\" 07 \"baz\" 06 02 01 0a 01 06 07 \"bar\" 01 0a 01 06 04 01",
        "11 01 00",
        "11 03 00 04 03 02",
        "11 03 01 03 02",
        "11 05 00 06 07 \"bar\" 06 0b \"asdf1\" 0a 23 1f \"org.amf.ASClass\" 07 \"foo\" 07 \"baz\" 06 08 01 06 0b \"asdf2\"",
        "09 05 01 06 01 06 01",
        "0a 07 43 \"flex.messaging.io.ArrayCollection\" 09 05 01 06 03 \"a\" 06 03 \"b\"",
    };

    [Theory]
    [MemberData(nameof(ExactExamples))]
    public void DecodesAndReencodesByteExact(string hex)
    {
        var bytes = H(hex);
        var value = ReadAmf3(bytes);
        Assert.Equal(Hex(bytes), Hex(WriteAmf3(value)));
    }

    [Fact]
    public void StringReferencesAndEmptyStringNeverCached()
    {
        // [sile] amf3-empty-string-ref.bin: "" never enters the table.
        var a = Assert.IsType<AmfArray>(ReadAmf3(H("09 05 01 06 01 06 01")));
        Assert.All(a.Dense, v => Assert.Equal("", v.AsString));
        // associative array: 06 06 = string #3 "bar"
        var assoc = Assert.IsType<AmfArray>(ReadAmf3(H("09 07 03 \"2\" 06 09 \"bar3\" 07 \"foo\" 06 07 \"bar\" 09 \"asdf\" 06 09 \"fdsa\" 01 06 06 06 09 \"bar1\" 06 09 \"bar2\"")));
        Assert.Equal(["bar", "bar1", "bar2"], assoc.Dense.Select(v => v.AsString));
        Assert.Equal("bar3", assoc.GetAssociative("2")!.AsString);
        // A writer emits "hello" then a reference.
        var twice = new AmfArray([new AmfString("hello"), new AmfString("hello")]);
        Assert.Equal(Hex(H("09 05 01 06 0b \"hello\" 06 00")), Hex(WriteAmf3(twice)));
    }

    [Fact]
    public void ObjectAndTraitReferences()
    {
        var root = Assert.IsType<AmfArray>(ReadAmf3(H("09 07 01 09 05 01 0a 0b 01 07 \"foo\" 06 07 \"bar\" 01 0a 01 00 06 02 01 06 02 09 05 01 0a 04 0a 06")));
        var first = Assert.IsType<AmfArray>(root.Dense[0]);
        var third = Assert.IsType<AmfArray>(root.Dense[2]);
        Assert.Same(first.Dense[0], third.Dense[0]);
        Assert.Same(first.Dense[1], third.Dense[1]);
        Assert.NotSame(first.Dense[0], first.Dense[1]);
        Assert.Same(((AmfObject)first.Dense[0]).Traits, ((AmfObject)first.Dense[1]).Traits);
        Assert.Equal("bar", ((AmfObject)first.Dense[1]).GetString("foo"));

        var traitRef = Assert.IsType<AmfArray>(ReadAmf3(H("09 05 01 0a 23 1f \"org.amf.ASClass\" 07 \"foo\" 07 \"baz\" 06 02 01 0a 01 06 07 \"bar\" 01")));
        var o1 = (AmfObject)traitRef.Dense[0];
        var o2 = (AmfObject)traitRef.Dense[1];
        Assert.Equal("org.amf.ASClass", o2.ClassName);
        Assert.Equal(["foo", "baz"], o2.Traits.SealedNames);
        Assert.Equal("foo", o1.GetString("foo"));
        Assert.Equal("bar", o2.GetString("foo"));
        Assert.Equal(AmfType.Null, o2["baz"]!.Type);
        Assert.False(o2.Traits.IsDynamic);
    }

    [Fact]
    public void DateVectorAndDictionaryValues()
    {
        var dates = Assert.IsType<AmfArray>(ReadAmf3(H("09 05 01 08 01 00 00 00 00 00 00 00 00 08 02")));
        Assert.Same(dates.Dense[0], dates.Dense[1]);
        Assert.Equal(0.0, ((AmfDate)dates.Dense[0]).MillisecondsSinceEpoch);

        var vi = Assert.IsType<AmfVector<int>>(ReadAmf3(H("0d 07 00 00 00 00 04 ff ff ff ec 00 00 00 0c")));
        Assert.Equal([4, -20, 12], vi.Items);
        Assert.False(vi.IsFixed);
        var vu = Assert.IsType<AmfVector<uint>>(ReadAmf3(H("0e 05 01 80 00 00 00 ff ff ff ff")));
        Assert.Equal([0x80000000u, 0xFFFFFFFFu], vu.Items);
        Assert.True(vu.IsFixed);
        Assert.Equal([0.5], Assert.IsType<AmfVector<double>>(ReadAmf3(H("0f 03 00 3f e0 00 00 00 00 00 00"))).Items);

        var vo = Assert.IsType<AmfVectorObject>(ReadAmf3(H("10 07 00 1f \"org.amf.ASClass\" 0a 23 00 07 \"foo\" 07 \"baz\" 06 02 01 0a 01 06 07 \"bar\" 01 0a 01 06 04 01")));
        Assert.Equal("org.amf.ASClass", vo.TypeName);
        Assert.Equal(["foo", "bar", "baz"], vo.Items.Select(o => ((AmfObject)o).GetString("foo")));

        var dict = Assert.IsType<AmfDictionary>(ReadAmf3(H("11 05 00 06 07 \"bar\" 06 0b \"asdf1\" 0a 23 1f \"org.amf.ASClass\" 07 \"foo\" 07 \"baz\" 06 08 01 06 0b \"asdf2\"")));
        Assert.Equal("bar", dict.Entries[0].Key.AsString);
        Assert.Equal("asdf1", dict.Entries[0].Value.AsString);
        Assert.Equal("baz", ((AmfObject)dict.Entries[1].Key).GetString("foo"));
        Assert.True(Assert.IsType<AmfDictionary>(ReadAmf3(H("11 03 01 03 02"))).WeakKeys);
    }

    [Fact]
    public void KnownExternalizableBodyIsOneValue()
    {
        var o = Assert.IsType<AmfObject>(ReadAmf3(H("0a 07 43 \"flex.messaging.io.ArrayCollection\" 09 05 01 06 03 \"a\" 06 03 \"b\"")));
        Assert.True(o.Traits.IsExternalizable);
        var body = Assert.IsType<AmfArray>(o.ExternalizedBody);
        Assert.Equal(["a", "b"], body.Dense.Select(v => v.AsString));
    }

    [Fact]
    public void UnknownExternalizableIsATypedFailure()
    {
        // [amf-cpp] ExternalizableTraitsReference: the body of "Foo" is opaque.
        AssertFails(H("09 07 01 0a 07 07 \"Foo\" \"foo\" 0a 02 0a 01 \"bar\""), AmfError.UnknownExternalizable, amf3: true);
        var limits = AmfLimits.Default with { SingleValueExternalizables = new HashSet<string> { "Foo" } };
        var reader = new AmfReader(limits);
        int p = 0;
        Assert.True(reader.TryReadAmf3(H("0a 07 07 \"Foo\" 06 03 \"x\""), ref p, out var v));
        Assert.Equal("x", ((AmfObject)v).ExternalizedBody!.AsString);
    }

    [Fact]
    public void WriterSharesAnonymousTraitsAndInstances()
    {
        var shared = new AmfObject { ["a"] = 1.0 };
        var second = new AmfObject { ["b"] = true };
        var bytes = WriteAmf3(new AmfArray([shared, second, shared]));
        // [o1 inline traits, o2 traits ref 0, o1 object ref 1]
        Assert.Equal(Hex(H("09 07 01 0a 0b 01 03 \"a\" 05 3f f0 00 00 00 00 00 00 01 0a 01 03 \"b\" 03 01 0a 02")), Hex(bytes));
        var back = Assert.IsType<AmfArray>(ReadAmf3(bytes));
        Assert.Same(back.Dense[0], back.Dense[2]);

        var noRefs = new System.Buffers.ArrayBufferWriter<byte>();
        new Amf3Writer { UseReferences = false }.Write(noRefs, new AmfArray([shared, shared]));
        Assert.Equal(Hex(H("09 05 01 0a 0b 01 03 \"a\" 05 3f f0 00 00 00 00 00 00 01 0a 0b 01 03 \"a\" 05 3f f0 00 00 00 00 00 00 01")), Hex(noRefs.WrittenSpan));
    }

    [Fact]
    public void WriterRejectsCallerBugs()
    {
        var emptyKey = new AmfArray();
        emptyKey.Associative.Add(new("", 1.0));
        Assert.Throws<ArgumentException>(() => WriteAmf3(emptyKey));
        var ext = new AmfObject(new AmfTraits("flex.messaging.io.ArrayCollection", [], false, true));
        Assert.Throws<ArgumentException>(() => WriteAmf3(ext));
        var cyclic = new AmfArray();
        cyclic.Dense.Add(cyclic);
        Assert.Throws<InvalidOperationException>(() => WriteAmf0(cyclic));
    }
}
