using System.Buffers;
using System.Buffers.Binary;
using Rtmfp.Shared.Amf;

namespace Rtmfp.Shared.Tests.Amf;

/// <summary>
/// Security review, finding 1: AMF0 references (AMF0 §2.9, §4.1) let a few bytes stand for a value graph that
/// doubles at each level. The element budget (<see cref="AmfLimits.MaxElements"/>) counts what a reference expands to.
/// </summary>
public class AmfReferenceExpansionTests
{
    /// <summary>
    /// <c>{a: 1}</c>, then <paramref name="levels"/> strict arrays, each holding two references to the previous
    /// complex value: 11 bytes a level, 2^levels leaves once the references are expanded.
    /// </summary>
    internal static byte[] DoublingValues(int levels)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new Amf0Writer();
        var leaf = new AmfObject();
        leaf.DynamicProperties.Add(new("a", new AmfNumber(1)));
        writer.Write(output, leaf);
        for (int level = 1; level <= levels; level++)
        {
            var span = output.GetSpan(11);
            span[0] = 0x0A; // strict array (AMF0 §2.12)
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], 2);
            for (int i = 0; i < 2; i++)
            {
                span[5 + (3 * i)] = 0x07; // reference (AMF0 §2.9)
                BinaryPrimitives.WriteUInt16BigEndian(span[(6 + (3 * i))..], (ushort)(level - 1));
            }
            output.Advance(11);
        }
        return output.WrittenSpan.ToArray();
    }

    [Fact]
    public void ReferencesThatDoubleEachLevelExhaustTheElementBudget()
    {
        var bytes = DoublingValues(20); // 225 bytes standing for 2^21 values
        var reader = new AmfReader();
        var values = new List<AmfValue>();

        Assert.False(reader.TryReadAllAmf0(bytes, values));
        Assert.Equal(AmfError.TooManyElements, reader.Error);
    }

    [Fact]
    public void ReferencesWithinTheBudgetStillDecode()
    {
        var bytes = DoublingValues(10); // about 2^11 values expanded, well under 65536
        var reader = new AmfReader();
        var values = new List<AmfValue>();

        Assert.True(reader.TryReadAllAmf0(bytes, values), reader.Error.ToString());
        Assert.Equal(11, values.Count);
        var top = Assert.IsType<AmfArray>(values[^1]);
        Assert.Same(values[^2], top.Dense[0]);
        Assert.Same(values[^2], top.Dense[1]);
    }

    [Fact]
    public void ReferenceExpansionCountsAgainstACustomBudget()
    {
        // {a: 1} is 2 values, [ref, ref] expands to 1 + 2 × 2 = 5: 7 in all.
        var bytes = DoublingValues(1);
        Assert.True(new AmfReader(new AmfLimits { MaxElements = 7 }).TryReadAllAmf0(bytes, []));
        var tight = new AmfReader(new AmfLimits { MaxElements = 6 });
        Assert.False(tight.TryReadAllAmf0(bytes, []));
        Assert.Equal(AmfError.TooManyElements, tight.Error);
    }

    [Fact]
    public void Amf3ObjectReferencesAreChargedToo()
    {
        // AMF3 §3.12: array [ [1,2,3] , ref 1, ref 1 ] — the inner dense array (3 values + itself) referenced twice.
        byte[] bytes = [0x09, 0x07, 0x01, 0x09, 0x07, 0x01, 0x04, 0x01, 0x04, 0x02, 0x04, 0x03, 0x09, 0x02, 0x09, 0x02];
        int p = 0;
        Assert.True(new AmfReader().TryReadAmf3(bytes, ref p, out _));
        // outer 1 + inner 4 + two references of 4 each = 13 values
        p = 0;
        Assert.True(new AmfReader(new AmfLimits { MaxElements = 13 }).TryReadAmf3(bytes, ref p, out _));
        p = 0;
        var tight = new AmfReader(new AmfLimits { MaxElements = 12 });
        Assert.False(tight.TryReadAmf3(bytes, ref p, out _));
        Assert.Equal(AmfError.TooManyElements, tight.Error);
    }
}
