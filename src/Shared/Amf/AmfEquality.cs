namespace Rtmfp.Shared.Amf;

/// <summary>Structural equality of AMF values (doubles compared bit-exactly, so NaN equals NaN).</summary>
internal static class AmfEquality
{
    private const int MaxDepth = 64;

    public static bool DeepEquals(AmfValue? a, AmfValue? b) => Equal(a, b, 0);

    private static bool Equal(AmfValue? a, AmfValue? b, int depth)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }
        if (a is null || b is null || a.Type != b.Type || depth > MaxDepth)
        {
            return false;
        }
        switch (a)
        {
            case AmfBoolean x:
                return x.Value == ((AmfBoolean)b).Value;
            case AmfNumber x:
                return BitConverter.DoubleToInt64Bits(x.Value) == BitConverter.DoubleToInt64Bits(((AmfNumber)b).Value);
            case AmfInteger x:
                return x.Value == ((AmfInteger)b).Value;
            case AmfString x:
                return x.Value == ((AmfString)b).Value;
            case AmfDate x:
                return BitConverter.DoubleToInt64Bits(x.MillisecondsSinceEpoch) == BitConverter.DoubleToInt64Bits(((AmfDate)b).MillisecondsSinceEpoch);
            case AmfXml x:
                return x.Text == ((AmfXml)b).Text && x.IsDocument == ((AmfXml)b).IsDocument;
            case AmfByteArray x:
                return x.Data.AsSpan().SequenceEqual(((AmfByteArray)b).Data);
            case AmfArray x:
            {
                var y = (AmfArray)b;
                return ListEqual(x.Dense, y.Dense, depth) && PairsEqual(x.Associative, y.Associative, depth);
            }
            case AmfObject x:
                return ObjectEqual(x, (AmfObject)b, depth);
            case AmfVector<int> x:
                return x.IsFixed == ((AmfVector<int>)b).IsFixed && x.Items.SequenceEqual(((AmfVector<int>)b).Items);
            case AmfVector<uint> x:
                return x.IsFixed == ((AmfVector<uint>)b).IsFixed && x.Items.SequenceEqual(((AmfVector<uint>)b).Items);
            case AmfVector<double> x:
                return DoubleVectorEqual(x, (AmfVector<double>)b);
            case AmfVectorObject x:
            {
                var y = (AmfVectorObject)b;
                return x.IsFixed == y.IsFixed && x.TypeName == y.TypeName && ListEqual(x.Items, y.Items, depth);
            }
            case AmfDictionary x:
                return DictionaryEqual(x, (AmfDictionary)b, depth);
            default:
                return true; // null, undefined
        }
    }

    private static bool ObjectEqual(AmfObject x, AmfObject y, int depth)
    {
        var tx = x.Traits;
        var ty = y.Traits;
        if (tx.ClassName != ty.ClassName || tx.IsDynamic != ty.IsDynamic || tx.IsExternalizable != ty.IsExternalizable
            || !tx.SealedNames.AsSpan().SequenceEqual(ty.SealedNames))
        {
            return false;
        }
        for (int i = 0; i < x.SealedValues.Length; i++)
        {
            if (!Equal(x.SealedValues[i], y.SealedValues[i], depth + 1))
            {
                return false;
            }
        }
        return PairsEqual(x.DynamicProperties, y.DynamicProperties, depth)
            && Equal(x.ExternalizedBody, y.ExternalizedBody, depth + 1);
    }

    private static bool DoubleVectorEqual(AmfVector<double> x, AmfVector<double> y)
    {
        if (x.IsFixed != y.IsFixed || x.Items.Count != y.Items.Count)
        {
            return false;
        }
        for (int i = 0; i < x.Items.Count; i++)
        {
            if (BitConverter.DoubleToInt64Bits(x.Items[i]) != BitConverter.DoubleToInt64Bits(y.Items[i]))
            {
                return false;
            }
        }
        return true;
    }

    private static bool DictionaryEqual(AmfDictionary x, AmfDictionary y, int depth)
    {
        if (x.WeakKeys != y.WeakKeys || x.Entries.Count != y.Entries.Count)
        {
            return false;
        }
        for (int i = 0; i < x.Entries.Count; i++)
        {
            if (!Equal(x.Entries[i].Key, y.Entries[i].Key, depth + 1) || !Equal(x.Entries[i].Value, y.Entries[i].Value, depth + 1))
            {
                return false;
            }
        }
        return true;
    }

    private static bool ListEqual(List<AmfValue> x, List<AmfValue> y, int depth)
    {
        if (x.Count != y.Count)
        {
            return false;
        }
        for (int i = 0; i < x.Count; i++)
        {
            if (!Equal(x[i], y[i], depth + 1))
            {
                return false;
            }
        }
        return true;
    }

    private static bool PairsEqual(List<KeyValuePair<string, AmfValue>> x, List<KeyValuePair<string, AmfValue>> y, int depth)
    {
        if (x.Count != y.Count)
        {
            return false;
        }
        for (int i = 0; i < x.Count; i++)
        {
            if (x[i].Key != y[i].Key || !Equal(x[i].Value, y[i].Value, depth + 1))
            {
                return false;
            }
        }
        return true;
    }
}
