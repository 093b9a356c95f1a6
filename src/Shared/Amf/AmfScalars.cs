namespace Rtmfp.Shared.Amf;

// Scalar AMF values (AMF0 §2.2–§2.14, AMF3 §3.2–§3.10, §3.14).

public sealed class AmfUndefined : AmfValue
{
    public static readonly AmfUndefined Instance = new();

    private AmfUndefined()
    {
    }

    public override AmfType Type => AmfType.Undefined;
}

public sealed class AmfNull : AmfValue
{
    public static readonly AmfNull Instance = new();

    private AmfNull()
    {
    }

    public override AmfType Type => AmfType.Null;
}

public sealed class AmfBoolean : AmfValue
{
    public static new readonly AmfBoolean True = new(true);
    public static new readonly AmfBoolean False = new(false);

    private AmfBoolean(bool value) => Value = value;

    public bool Value { get; }
    public override AmfType Type => AmfType.Boolean;
}

public sealed class AmfNumber : AmfValue
{
    public AmfNumber(double value) => Value = value;

    public double Value { get; }
    public override AmfType Type => AmfType.Number;
}

/// <summary>AMF3 integer-type (AMF3 §3.6): a signed 29-bit value. Out-of-range values are written as doubles.</summary>
public sealed class AmfInteger : AmfValue
{
    public const int MinValue = -(1 << 28);
    public const int MaxValue = (1 << 28) - 1;

    public AmfInteger(int value) => Value = value;

    public int Value { get; }
    public bool FitsU29 => Value is >= MinValue and <= MaxValue;
    public override AmfType Type => AmfType.Integer;
}

public sealed class AmfString : AmfValue
{
    public static readonly AmfString Empty = new(string.Empty);

    public AmfString(string value) => Value = value ?? throw new ArgumentNullException(nameof(value));

    public string Value { get; }
    public override AmfType Type => AmfType.String;
}

/// <summary>Date: milliseconds since 1970-01-01 UTC (AMF0 §2.13 time zone is written 0 and ignored).</summary>
public sealed class AmfDate : AmfValue
{
    public AmfDate(double millisecondsSinceEpoch) => MillisecondsSinceEpoch = millisecondsSinceEpoch;

    public AmfDate(DateTimeOffset time) => MillisecondsSinceEpoch = time.ToUnixTimeMilliseconds();

    public double MillisecondsSinceEpoch { get; }
    public override AmfType Type => AmfType.Date;
}

/// <summary>XML text. <see cref="IsDocument"/>: legacy XMLDocument (AMF0 0x0F, AMF3 0x07); otherwise E4X XML (AMF3 0x0B).</summary>
public sealed class AmfXml : AmfValue
{
    public AmfXml(string text, bool isDocument = true)
    {
        Text = text ?? throw new ArgumentNullException(nameof(text));
        IsDocument = isDocument;
    }

    public string Text { get; }
    public bool IsDocument { get; }
    public override AmfType Type => AmfType.Xml;
}

/// <summary>AMF3 ByteArray (AMF3 §3.14). AMF0 writers send it through the AVM+ switch.</summary>
public sealed class AmfByteArray : AmfValue
{
    public AmfByteArray(byte[] data) => Data = data ?? throw new ArgumentNullException(nameof(data));

    public byte[] Data { get; }
    public override AmfType Type => AmfType.ByteArray;
}
