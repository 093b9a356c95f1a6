namespace Rtmfp.Shared.Amf;

/// <summary>
/// AMF0 anonymous/typed object or AMF3 object (AMF0 §2.5, §2.18; AMF3 §3.12).
/// <see cref="SealedValues"/> line up with <see cref="AmfTraits.SealedNames"/>; <see cref="DynamicProperties"/>
/// keep wire order. An externalizable object carries its body in <see cref="ExternalizedBody"/>.
/// </summary>
public sealed class AmfObject : AmfValue
{
    public AmfObject()
        : this(AmfTraits.Anonymous)
    {
    }

    public AmfObject(AmfTraits traits)
    {
        Traits = traits ?? throw new ArgumentNullException(nameof(traits));
        SealedValues = traits.SealedNames.Length == 0 ? [] : new AmfValue[traits.SealedNames.Length];
        for (int i = 0; i < SealedValues.Length; i++)
        {
            SealedValues[i] = AmfUndefined.Instance;
        }
        DynamicProperties = [];
    }

    /// <summary>An anonymous (className "") or AMF0-typed object with dynamic members only.</summary>
    public AmfObject(string className)
        : this(AmfTraits.Typed(className))
    {
    }

    public override AmfType Type => AmfType.Object;
    public AmfTraits Traits { get; }
    public string ClassName => Traits.ClassName;
    public AmfValue[] SealedValues { get; }
    public List<KeyValuePair<string, AmfValue>> DynamicProperties { get; }

    /// <summary>The single AMF3 value inside a known externalizable class (e.g. ArrayCollection's array).</summary>
    public AmfValue? ExternalizedBody { get; set; }

    /// <summary>Number of members (sealed + dynamic).</summary>
    public int Count => SealedValues.Length + DynamicProperties.Count;

    /// <summary>
    /// Gets a sealed or dynamic member (null if absent). Setting replaces an existing member or
    /// appends a dynamic one (so object initializers build anonymous objects).
    /// </summary>
    public AmfValue? this[string name]
    {
        get
        {
            var sealedNames = Traits.SealedNames;
            for (int i = 0; i < sealedNames.Length; i++)
            {
                if (sealedNames[i] == name)
                {
                    return SealedValues[i];
                }
            }
            var dyn = DynamicProperties;
            for (int i = 0; i < dyn.Count; i++)
            {
                if (dyn[i].Key == name)
                {
                    return dyn[i].Value;
                }
            }
            return null;
        }
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            var sealedNames = Traits.SealedNames;
            for (int i = 0; i < sealedNames.Length; i++)
            {
                if (sealedNames[i] == name)
                {
                    SealedValues[i] = value;
                    return;
                }
            }
            var dyn = DynamicProperties;
            for (int i = 0; i < dyn.Count; i++)
            {
                if (dyn[i].Key == name)
                {
                    dyn[i] = new(name, value);
                    return;
                }
            }
            dyn.Add(new(name, value));
        }
    }

    /// <summary>Members in wire order: sealed first, then dynamic.</summary>
    public IEnumerable<KeyValuePair<string, AmfValue>> Members
    {
        get
        {
            for (int i = 0; i < SealedValues.Length; i++)
            {
                yield return new(Traits.SealedNames[i], SealedValues[i]);
            }
            foreach (var p in DynamicProperties)
            {
                yield return p;
            }
        }
    }

    /// <summary>String member or null.</summary>
    public string? GetString(string name) => this[name]?.AsString;

    /// <summary>Numeric member (double or integer) or null.</summary>
    public double? GetNumber(string name) => this[name]?.AsNumber;
}
