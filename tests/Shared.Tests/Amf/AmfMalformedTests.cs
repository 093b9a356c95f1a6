using Rtmfp.Shared.Amf;
using static Rtmfp.Shared.Tests.Amf.TestHex;

namespace Rtmfp.Shared.Tests.Amf;

/// <summary>Peer input never throws: truncation, lying lengths, bad/cyclic references, depth bombs, huge counts (A9).</summary>
public class AmfMalformedTests
{
    private static IEnumerable<(byte[] Bytes, bool Amf3)> ValidSamples()
    {
        foreach (var row in Amf0Tests.ExactExamples)
        {
            yield return (H(row.Data), false);
        }
        foreach (var row in Amf3Tests.ExactExamples)
        {
            yield return (H(row.Data), true);
        }
        yield return (H("11 0a 0b 13 \"spam.eggs\" 03 \"x\" 06 03 \"y\" 01"), false);
        yield return (H("03 00 01 \"0\" 03 00 03 \"foo\" 02 00 03 \"baz\" 00 03 \"bar\" 00 40 09 1e b8 51 eb 85 1f 00 00 09 00 01 \"1\" 07 00 01 00 00 09"), false);
    }

    [Fact]
    public void EveryTruncationFailsWithoutThrowing()
    {
        int checkedPrefixes = 0, expected = 0;
        foreach (var (bytes, amf3) in ValidSamples())
        {
            expected += bytes.Length;
            for (int len = 0; len < bytes.Length; len++)
            {
                var reader = new AmfReader();
                int p = 0;
                var prefix = bytes.AsSpan(0, len);
                bool ok = amf3 ? reader.TryReadAmf3(prefix, ref p, out var v) : reader.TryReadAmf0(prefix, ref p, out v);
                Assert.False(ok, $"prefix {len} of {Hex(bytes)} decoded as {v}");
                Assert.Equal(0, p);
                Assert.NotEqual(AmfError.None, reader.Error);
                checkedPrefixes++;
            }
        }
        Assert.Equal(expected, checkedPrefixes);
        Assert.True(checkedPrefixes > 500);
    }

    [Fact]
    public void MutatedInputNeverThrows()
    {
        var random = new Random(7016);
        var samples = ValidSamples().ToList();
        var reader = new AmfReader();
        int decoded = 0, failed = 0;
        for (int i = 0; i < 30000; i++)
        {
            var (orig, amf3) = samples[random.Next(samples.Count)];
            var bytes = (byte[])orig.Clone();
            int mutations = 1 + random.Next(3);
            for (int m = 0; m < mutations && bytes.Length > 0; m++)
            {
                int at = random.Next(bytes.Length);
                bytes[at] = random.Next(3) switch
                {
                    0 => (byte)(bytes[at] ^ (1 << random.Next(8))),
                    1 => (byte)random.Next(256),
                    _ => (byte)(random.Next(2) == 0 ? 0xFF : 0x00),
                };
            }
            reader.Reset();
            int p = 0;
            bool ok = amf3 ? reader.TryReadAmf3(bytes, ref p, out var v) : reader.TryReadAmf0(bytes, ref p, out v);
            if (ok)
            {
                Assert.NotNull(v);
                Assert.InRange(p, 1, bytes.Length);
                _ = v.ToString();
                decoded++;
            }
            else
            {
                Assert.Equal(0, p);
                failed++;
            }
        }
        Assert.True(decoded > 0 && failed > 0);

        var noise = new byte[64];
        for (int i = 0; i < 20000; i++)
        {
            random.NextBytes(noise);
            reader.Reset();
            int p = 0;
            _ = (i & 1) == 0 ? reader.TryReadAmf0(noise, ref p, out _) : reader.TryReadAmf3(noise, ref p, out _);
        }
    }

    [Fact]
    public void LyingLengths()
    {
        AssertFails(H("02 00 06 \"hello\""), AmfError.Truncated);
        AssertFails(H("0c 00 00 00 06 \"hello\""), AmfError.Truncated);
        AssertFails(H("0f 00 00 01 00 \"<a/>\""), AmfError.Truncated);
        AssertFails(H("03 00 09 \"a\" 05 00 00 09"), AmfError.Truncated);
        AssertFails(H("06 0d \"hello\""), AmfError.Truncated, amf3: true);
        AssertFails(H("0c 0d \"hello\""), AmfError.Truncated, amf3: true);
        AssertFails(H("0d 07 00 00 00 00 04 ff ff ff ec"), AmfError.Truncated, amf3: true);
        AssertFails(H("0f 05 00 3f e0 00 00 00 00 00 00"), AmfError.Truncated, amf3: true);
        // Strict array count larger than the remaining bytes can hold.
        AssertFails(H("0a 00 00 00 05 05 05"), AmfError.TooManyElements);
        AssertFails(H("09 0b 01 01 01"), AmfError.TooManyElements, amf3: true);
        // Object without its end marker.
        AssertFails(H("03 00 01 \"a\" 05"), AmfError.Truncated);
    }

    [Fact]
    public void HugeDeclaredLengthsAreRejectedBeforeAllocation()
    {
        AssertFails(H("0a ff ff ff ff 05"), AmfError.TooManyElements);
        AssertFails(H("0c 7f ff ff ff 61"), AmfError.TooLong);
        AssertFails(H("0f ff ff ff ff 61"), AmfError.TooLong);
        AssertFails(H("06 ff ff ff ff"), AmfError.TooLong, amf3: true);
        AssertFails(H("0c bf ff ff ff 00"), AmfError.TooLong, amf3: true);
        AssertFails(H("0d bf ff ff ff 00 00"), AmfError.Truncated, amf3: true);
        AssertFails(H("0f bf ff ff ff 00 00"), AmfError.Truncated, amf3: true);
        AssertFails(H("10 bf ff ff ff 00 01 01"), AmfError.TooManyElements, amf3: true);
        AssertFails(H("11 bf ff ff ff 00 01 01"), AmfError.TooManyElements, amf3: true);
        AssertFails(H("0a bf ff ff f3 01 01"), AmfError.TooManyElements, amf3: true); // 2^24 sealed names
        var small = AmfLimits.Default with { MaxStringLength = 4 };
        AssertFails(H("02 00 05 \"hello\""), AmfError.TooLong, limits: small);
    }

    [Fact]
    public void BadReferences()
    {
        AssertFails(H("07 00 00"), AmfError.BadReference);
        AssertFails(H("0a 00 00 00 01 07 00 00"), AmfError.CyclicReference);
        AssertFails(H("0a 00 00 00 02 0a 00 00 00 00 07 00 05"), AmfError.BadReference);
        AssertFails(H("06 00"), AmfError.BadReference, amf3: true);
        AssertFails(H("0a 00"), AmfError.BadReference, amf3: true);
        AssertFails(H("0a 01"), AmfError.BadReference, amf3: true); // traits reference 0 with an empty table
        AssertFails(H("09 00"), AmfError.BadReference, amf3: true);
        AssertFails(H("08 00"), AmfError.BadReference, amf3: true);
        AssertFails(H("0c 00"), AmfError.BadReference, amf3: true);
        AssertFails(H("0d 02"), AmfError.BadReference, amf3: true);
    }

    [Fact]
    public void SelfReferencesAreRejected()
    {
        // AMF0 object whose member references itself (sile amf0-circular-reference).
        AssertFails(H("03 00 01 \"a\" 07 00 00 00 00 09"), AmfError.CyclicReference);
        // AMF3 object, array, vector and dictionary containing themselves.
        AssertFails(H("0a 0b 01 03 \"a\" 0a 00 01"), AmfError.CyclicReference, amf3: true);
        AssertFails(H("09 03 01 09 00"), AmfError.CyclicReference, amf3: true);
        AssertFails(H("10 03 00 01 10 00"), AmfError.CyclicReference, amf3: true);
        AssertFails(H("11 03 00 11 00 01"), AmfError.CyclicReference, amf3: true);
        AssertFails(H("0a 07 43 \"flex.messaging.io.ArrayCollection\" 0a 00"), AmfError.CyclicReference, amf3: true);
        // AVM+ value referencing the AMF3 object that contains the enclosing AMF0 value is impossible,
        // but an AMF0 array referencing itself through a nested AVM+ value is not: tables are separate.
        AssertFails(H("0a 00 00 00 01 11 09 00"), AmfError.BadReference);
    }

    [Fact]
    public void DepthBombs()
    {
        var amf0 = Enumerable.Repeat(H("0a 00 00 00 01"), 100).SelectMany(b => b).Append((byte)0x05).ToArray();
        AssertFails(amf0, AmfError.DepthExceeded);
        var amf0Objects = Enumerable.Repeat(H("03 00 01 \"a\""), 100).SelectMany(b => b).ToArray();
        AssertFails(amf0Objects, AmfError.DepthExceeded);
        var amf3 = Enumerable.Repeat(H("09 03 01"), 100).SelectMany(b => b).Append((byte)0x01).ToArray();
        AssertFails(amf3, AmfError.DepthExceeded, amf3: true);
        var amf3Objects = Enumerable.Repeat(H("0a 0b 01 03 \"a\""), 100).SelectMany(b => b).ToArray();
        AssertFails(amf3Objects, AmfError.DepthExceeded, amf3: true);
        // Depth counts across the AVM+ switch.
        var mixed = Enumerable.Repeat(H("0a 00 00 00 01"), 20).SelectMany(b => b).Append((byte)0x11)
            .Concat(Enumerable.Repeat(H("09 03 01"), 20).SelectMany(b => b)).Append((byte)0x01).ToArray();
        AssertFails(mixed, AmfError.DepthExceeded);

        // Exactly at the limit still decodes.
        var limits = AmfLimits.Default with { MaxDepth = 3 };
        var ok = H("09 03 01 09 03 01 09 03 01 01");
        var reader = new AmfReader(limits);
        int p = 0;
        Assert.True(reader.TryReadAmf3(ok, ref p, out _));
        AssertFails(H("09 03 01 09 03 01 09 03 01 09 03 01 01"), AmfError.DepthExceeded, amf3: true, limits: limits);
    }

    [Fact]
    public void ElementAndTableLimits()
    {
        var fewElements = AmfLimits.Default with { MaxElements = 3 };
        AssertFails(H("0a 00 00 00 03 05 05 05"), AmfError.TooManyElements, limits: fewElements);
        AssertFails(H("0d 07 00 00 00 00 04 ff ff ff ec 00 00 00 0c"), AmfError.TooManyElements, amf3: true, limits: fewElements with { MaxElements = 2 });
        var tinyTables = AmfLimits.Default with { MaxReferences = 2 };
        AssertFails(H("09 07 01 06 03 \"a\" 06 03 \"b\" 06 03 \"c\""), AmfError.TableFull, amf3: true, limits: tinyTables);
        AssertFails(H("0a 00 00 00 02 0a 00 00 00 00 0a 00 00 00 00"), AmfError.TableFull, limits: tinyTables);
    }

    [Fact]
    public void UnknownAndReservedMarkers()
    {
        AssertFails(H("04"), AmfError.UnknownMarker);
        AssertFails(H("0e"), AmfError.UnknownMarker);
        AssertFails(H("12"), AmfError.UnknownMarker);
        AssertFails(H("09"), AmfError.Malformed);
        AssertFails(H("12"), AmfError.UnknownMarker, amf3: true);
        AssertFails(H("ff"), AmfError.UnknownMarker, amf3: true);
        AssertFails(H(""), AmfError.Truncated);
    }

    [Fact]
    public void InvalidUtf8IsReplacedNotThrown()
    {
        var v = ReadAmf0(H("02 00 02 c3 28"));
        Assert.Equal(2, v.AsString!.Length);
    }
}
