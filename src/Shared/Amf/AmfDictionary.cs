namespace Rtmfp.Shared.Amf;

/// <summary>AMF3 Dictionary (AMF3 §3.16): keys of any type, in wire order.</summary>
public sealed class AmfDictionary : AmfValue
{
    public AmfDictionary(bool weakKeys = false)
    {
        WeakKeys = weakKeys;
        Entries = [];
    }

    public override AmfType Type => AmfType.Dictionary;
    public bool WeakKeys { get; set; }
    public List<KeyValuePair<AmfValue, AmfValue>> Entries { get; }
}
