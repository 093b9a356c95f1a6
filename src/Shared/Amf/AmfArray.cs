namespace Rtmfp.Shared.Amf;

/// <summary>
/// AMF0 strict array (§2.12) / ECMA array (§2.10) and AMF3 array (§3.11): an ordered dense part and
/// an ordered associative part. <see cref="IsEcmaArray"/> selects the AMF0 encoding (set by the AMF0 reader).
/// </summary>
public sealed class AmfArray : AmfValue
{
    public AmfArray()
    {
        Dense = [];
        Associative = [];
    }

    public AmfArray(IEnumerable<AmfValue> dense)
    {
        Dense = [.. dense];
        Associative = [];
    }

    public override AmfType Type => AmfType.Array;
    public List<AmfValue> Dense { get; }
    public List<KeyValuePair<string, AmfValue>> Associative { get; }

    /// <summary>AMF0: write as ECMA array (0x08) even when there is no associative part.</summary>
    public bool IsEcmaArray { get; set; }

    public AmfValue? GetAssociative(string key)
    {
        var a = Associative;
        for (int i = 0; i < a.Count; i++)
        {
            if (a[i].Key == key)
            {
                return a[i].Value;
            }
        }
        return null;
    }

    /// <summary>Builds an ECMA array (what FLV onMetaData uses).</summary>
    public static AmfArray Ecma(params ReadOnlySpan<KeyValuePair<string, AmfValue>> entries)
    {
        var array = new AmfArray { IsEcmaArray = true };
        foreach (var e in entries)
        {
            array.Associative.Add(e);
        }
        return array;
    }
}
