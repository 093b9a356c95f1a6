namespace Rtmfp.Shared.Amf;

/// <summary>AMF3 Vector.&lt;int&gt; / Vector.&lt;uint&gt; / Vector.&lt;Number&gt; (AMF3 §3.15): raw big-endian items.</summary>
public sealed class AmfVector<T> : AmfValue
    where T : struct
{
    public AmfVector(bool isFixed = false)
    {
        if (typeof(T) != typeof(int) && typeof(T) != typeof(uint) && typeof(T) != typeof(double))
        {
            throw new NotSupportedException("AMF3 vectors hold int, uint or double");
        }
        IsFixed = isFixed;
        Items = [];
    }

    public AmfVector(IEnumerable<T> items, bool isFixed = false)
        : this(isFixed)
    {
        Items.AddRange(items);
    }

    public override AmfType Type =>
        typeof(T) == typeof(int) ? AmfType.VectorInt : typeof(T) == typeof(uint) ? AmfType.VectorUInt : AmfType.VectorDouble;

    public bool IsFixed { get; set; }
    public List<T> Items { get; }
}

/// <summary>AMF3 Vector.&lt;Object&gt; (AMF3 §3.15): an element type name ("" or "*" for any) and full values.</summary>
public sealed class AmfVectorObject : AmfValue
{
    public AmfVectorObject(string typeName = "", bool isFixed = false)
    {
        TypeName = typeName ?? throw new ArgumentNullException(nameof(typeName));
        IsFixed = isFixed;
        Items = [];
    }

    public override AmfType Type => AmfType.VectorObject;
    public string TypeName { get; }
    public bool IsFixed { get; set; }
    public List<AmfValue> Items { get; }
}
