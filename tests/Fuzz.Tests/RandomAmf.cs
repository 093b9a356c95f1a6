using Rtmfp.Shared.Amf;

namespace Rtmfp.Fuzz.Tests;

/// <summary>
/// Random AMF values (AMF0 §2, and AMF3 §3 types that AMF0 carries through the AVM+ switch): every marker, odd numbers
/// (NaN, infinities, -0, huge), empty and long strings, nested objects, strict and ECMA arrays, vectors, dictionaries,
/// byte arrays. Trees only (no shared instances): the node's limits, not an exponential re-encoding, bound them.
/// </summary>
internal static class RandomAmf
{
    private static readonly double[] Numbers = [0, -0.0, 1, -1, 2.5, double.NaN, double.PositiveInfinity, double.NegativeInfinity,
        double.MaxValue, double.Epsilon, 4294967295, 4294967296, -2147483649, 16777215, 16777216, 65535];

    private static readonly string[] Words = ["", "live", "stream", "app", "onMetaData", "@setDataFrame", "connect", "NetStream.Play.Start",
        "tcUrl", "objectEncoding", "width", "duration", "\0", "ü€𝄞", "../../etc", "a/b/c?d=e", "rtmfp://127.0.0.1/live"];

    public static AmfValue Value(Random random, int depth = 0)
    {
        int pick = random.Next(depth >= 3 ? 8 : 16);
        return pick switch
        {
            0 => AmfNull.Instance,
            1 => AmfUndefined.Instance,
            2 => random.Next(2) == 0 ? AmfBoolean.True : AmfBoolean.False,
            3 or 4 => new AmfNumber(Number(random)),
            5 or 6 => new AmfString(Text(random)),
            7 => new AmfDate(Number(random)),
            8 => Object(random, depth),
            9 => Ecma(random, depth),
            10 => new AmfArray(Enumerable.Range(0, random.Next(6)).Select(_ => Value(random, depth + 1))),
            11 => new AmfInteger(random.Next(AmfInteger.MinValue, AmfInteger.MaxValue)),
            12 => new AmfByteArray(Bytes(random, random.Next(64))),
            13 => random.Next(3) switch
            {
                0 => new AmfVector<int>(Enumerable.Range(0, random.Next(8)).Select(_ => random.Next())),
                1 => new AmfVector<double>(Enumerable.Range(0, random.Next(8)).Select(_ => Number(random))),
                _ => new AmfVectorObject("flash.geom.Point") { Items = { Value(random, depth + 1) } },
            },
            14 => Dictionary(random, depth),
            _ => new AmfXml(Text(random)),
        };
    }

    /// <summary>An object with random keys, sometimes the keys a command handler looks for.</summary>
    public static AmfObject Object(Random random, int depth = 0)
    {
        var o = new AmfObject();
        for (int n = random.Next(6); n > 0; n--)
        {
            o[Key(random)] = Value(random, depth + 1);
        }
        return o;
    }

    public static double Number(Random random) =>
        random.Next(3) == 0 ? Numbers[random.Next(Numbers.Length)] : (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-3, 12));

    public static string Text(Random random) => random.Next(4) switch
    {
        0 => new string((char)random.Next(32, 0xD7FF), random.Next(random.Next(8) == 0 ? 4000 : 40)),
        1 => string.Concat(Enumerable.Range(0, random.Next(12)).Select(_ => (char)random.Next(0, 0x80))),
        _ => Words[random.Next(Words.Length)],
    };

    // Non-empty: the empty key ends an object or array on the wire (AMF0 §2.5, AMF3 §3.11, §3.12), the writers refuse it.
    private static string Key(Random random) => (random.Next(3) == 0 ? Text(random) : Words[random.Next(Words.Length)]) is { Length: > 0 } key ? key : "_";

    private static AmfArray Ecma(Random random, int depth)
    {
        var array = new AmfArray { IsEcmaArray = true };
        for (int n = random.Next(6); n > 0; n--)
        {
            array.Associative.Add(new(Key(random), Value(random, depth + 1)));
        }
        return array;
    }

    private static AmfDictionary Dictionary(Random random, int depth)
    {
        var dictionary = new AmfDictionary(random.Next(2) == 0);
        for (int n = random.Next(4); n > 0; n--)
        {
            dictionary.Entries.Add(new(Value(random, depth + 1), Value(random, depth + 1)));
        }
        return dictionary;
    }

    public static byte[] Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
