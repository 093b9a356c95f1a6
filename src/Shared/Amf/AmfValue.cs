namespace Rtmfp.Shared.Amf;

/// <summary>
/// A decoded AMF0/AMF3 value. Scalars are immutable; containers are mutable so callers can build
/// replies. A referenced value decodes to the same instance as its first occurrence.
/// </summary>
public abstract class AmfValue
{
    private protected AmfValue()
    {
    }

    public abstract AmfType Type { get; }

    public static AmfValue Undefined => AmfUndefined.Instance;
    public static AmfValue Null => AmfNull.Instance;
    public static AmfValue True => AmfBoolean.True;
    public static AmfValue False => AmfBoolean.False;

    /// <summary>Null or undefined.</summary>
    public bool IsNullOrUndefined => Type is AmfType.Null or AmfType.Undefined;

    /// <summary>The string, or null when this is not a string.</summary>
    public string? AsString => this is AmfString s ? s.Value : null;

    /// <summary>The number (double or AMF3 integer), or null when this is not numeric.</summary>
    public double? AsNumber => this switch
    {
        AmfNumber n => n.Value,
        AmfInteger i => i.Value,
        _ => null,
    };

    /// <summary>The boolean, or null when this is not a boolean.</summary>
    public bool? AsBoolean => this is AmfBoolean b ? b.Value : null;

    public AmfObject? AsObject => this as AmfObject;
    public AmfArray? AsArray => this as AmfArray;

    /// <summary>Property lookup on objects and on the associative part of arrays; null if absent or not keyed.</summary>
    public AmfValue? GetProperty(string name) => this switch
    {
        AmfObject o => o[name],
        AmfArray a => a.GetAssociative(name),
        _ => null,
    };

    public static implicit operator AmfValue(string? value) => value is null ? AmfNull.Instance : new AmfString(value);
    public static implicit operator AmfValue(double value) => new AmfNumber(value);
    public static implicit operator AmfValue(bool value) => value ? AmfBoolean.True : AmfBoolean.False;

    public override string ToString() => AmfFormatter.Format(this);
}
