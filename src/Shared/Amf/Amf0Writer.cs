using System.Buffers;
using System.Globalization;
using System.Text;

namespace Rtmfp.Shared.Amf;

/// <summary>
/// AMF0 encoder (AMF0 §2). AMF3-only values (ByteArray, vectors, dictionary, E4X XML,
/// externalizable objects) go through the AVM+ switch, one self-contained AMF3 value each
/// (A8: never emit cross-value AMF3 references). AMF0 references (0x07) are off by default because
/// rtmfp-cpp's AMF0 decoder cannot read them (A2).
/// </summary>
public sealed class Amf0Writer
{
    private readonly Dictionary<AmfValue, int> _complex = new(ReferenceEqualityComparer.Instance);
    private readonly Amf3Writer _amf3 = new();
    private int _complexCount;

    /// <summary>Write repeated complex instances as AMF0 references (0x07). Default false.</summary>
    public bool UseReferences { get; set; }

    /// <summary>Guards against cyclic graphs.</summary>
    public int MaxDepth { get; set; } = 64;

    /// <summary>Starts a new message scope.</summary>
    public void Reset()
    {
        _complex.Clear();
        _complexCount = 0;
    }

    public void Write(IBufferWriter<byte> output, AmfValue value) => Write(output, value, 0);

    /// <summary>Writes each value in turn: the values that follow a command's or data message's name.</summary>
    public void WriteEach(IBufferWriter<byte> output, List<AmfValue> values)
    {
        foreach (var value in values)
        {
            Write(output, value, 0);
        }
    }

    public static void WriteNumber(IBufferWriter<byte> output, double value)
    {
        AmfOutput.Byte(output, Amf0Marker.Number);
        AmfOutput.Double(output, value);
    }

    public static void WriteBoolean(IBufferWriter<byte> output, bool value)
    {
        AmfOutput.Byte(output, Amf0Marker.Boolean);
        AmfOutput.Byte(output, value ? (byte)1 : (byte)0);
    }

    public static void WriteNull(IBufferWriter<byte> output) => AmfOutput.Byte(output, Amf0Marker.Null);

    public static void WriteUndefined(IBufferWriter<byte> output) => AmfOutput.Byte(output, Amf0Marker.Undefined);

    /// <summary>String (0x02), or long string (0x0C) when longer than 65535 bytes (A2).</summary>
    public static void WriteString(IBufferWriter<byte> output, string value)
    {
        int byteCount = Encoding.UTF8.GetByteCount(value);
        if (byteCount > ushort.MaxValue)
        {
            AmfOutput.Byte(output, Amf0Marker.LongString);
            AmfOutput.UInt32(output, (uint)byteCount);
        }
        else
        {
            AmfOutput.Byte(output, Amf0Marker.String);
            AmfOutput.UInt16(output, (ushort)byteCount);
        }
        AmfOutput.Utf8(output, value, byteCount);
    }

    /// <summary>A UTF-8 property key or class name (U16 length, no marker).</summary>
    public static void WriteKey(IBufferWriter<byte> output, string key)
    {
        int byteCount = Encoding.UTF8.GetByteCount(key);
        if (byteCount > ushort.MaxValue)
        {
            throw new ArgumentException("AMF0 keys are at most 65535 bytes", nameof(key));
        }
        AmfOutput.UInt16(output, (ushort)byteCount);
        AmfOutput.Utf8(output, key, byteCount);
    }

    /// <summary>The object-end triplet 00 00 09.</summary>
    public static void WriteObjectEnd(IBufferWriter<byte> output)
    {
        var span = output.GetSpan(3);
        span[0] = 0;
        span[1] = 0;
        span[2] = Amf0Marker.ObjectEnd;
        output.Advance(3);
    }

    /// <summary>Forces the AVM+ switch: 0x11 then one self-contained AMF3 value.</summary>
    public void WriteAvmPlus(IBufferWriter<byte> output, AmfValue value)
    {
        AmfOutput.Byte(output, Amf0Marker.AvmPlus);
        _amf3.Reset();
        _amf3.Write(output, value);
    }

    /// <summary>AMF0 §2.5, §2.10: (key, value) pairs, then the empty key and object-end marker.</summary>
    private void WritePropertiesAndEnd(IBufferWriter<byte> output, List<KeyValuePair<string, AmfValue>> properties, int depth)
    {
        foreach (var p in properties)
        {
            WriteKey(output, p.Key);
            Write(output, p.Value, depth);
        }
        WriteObjectEnd(output);
    }

    private void Write(IBufferWriter<byte> output, AmfValue value, int depth)
    {
        AmfOutput.ThrowIfTooDeep(depth, MaxDepth);
        switch (value)
        {
            case AmfUndefined:
                WriteUndefined(output);
                return;
            case AmfNull:
                WriteNull(output);
                return;
            case AmfBoolean b:
                WriteBoolean(output, b.Value);
                return;
            case AmfNumber n:
                WriteNumber(output, n.Value);
                return;
            case AmfInteger i:
                WriteNumber(output, i.Value);
                return;
            case AmfString s:
                WriteString(output, s.Value);
                return;
            case AmfDate d:
                AmfOutput.Byte(output, Amf0Marker.Date);
                AmfOutput.Double(output, d.MillisecondsSinceEpoch);
                AmfOutput.UInt16(output, 0); // AMF0 §2.13: time zone, reserved
                return;
            case AmfXml { IsDocument: true } x:
            {
                int byteCount = Encoding.UTF8.GetByteCount(x.Text);
                AmfOutput.Byte(output, Amf0Marker.XmlDocument);
                AmfOutput.UInt32(output, (uint)byteCount);
                AmfOutput.Utf8(output, x.Text, byteCount);
                return;
            }
            case AmfArray or AmfObject { Traits.IsExternalizable: false }:
                break;
            default:
                WriteAvmPlus(output, value);
                return;
        }

        if (UseReferences && _complex.TryGetValue(value, out int reference) && reference <= ushort.MaxValue)
        {
            AmfOutput.Byte(output, Amf0Marker.Reference);
            AmfOutput.UInt16(output, (ushort)reference);
            return;
        }
        // Pre-order index (A2).
        _complex.TryAdd(value, _complexCount);
        _complexCount++;

        if (value is AmfObject o)
        {
            WriteObject(output, o, depth);
        }
        else
        {
            WriteArray(output, (AmfArray)value, depth);
        }
    }

    /// <summary>Anonymous (AMF0 §2.5) or typed object (§2.18): sealed members first, then the dynamic ones.</summary>
    private void WriteObject(IBufferWriter<byte> output, AmfObject o, int depth)
    {
        if (o.ClassName.Length == 0)
        {
            AmfOutput.Byte(output, Amf0Marker.Object);
        }
        else
        {
            AmfOutput.Byte(output, Amf0Marker.TypedObject);
            WriteKey(output, o.ClassName);
        }
        var names = o.Traits.SealedNames;
        for (int i = 0; i < names.Length; i++)
        {
            WriteKey(output, names[i]);
            Write(output, o.SealedValues[i], depth + 1);
        }
        WritePropertiesAndEnd(output, o.DynamicProperties, depth + 1);
    }

    /// <summary>ECMA array (AMF0 §2.10) when it has associative entries or was one, else strict array (§2.12).</summary>
    private void WriteArray(IBufferWriter<byte> output, AmfArray a, int depth)
    {
        if (a.IsEcmaArray || a.Associative.Count > 0)
        {
            // A2: readers ignore the count; writers put the number of entries.
            AmfOutput.Byte(output, Amf0Marker.EcmaArray);
            AmfOutput.UInt32(output, (uint)(a.Dense.Count + a.Associative.Count));
            for (int i = 0; i < a.Dense.Count; i++)
            {
                WriteKey(output, i.ToString(CultureInfo.InvariantCulture));
                Write(output, a.Dense[i], depth + 1);
            }
            WritePropertiesAndEnd(output, a.Associative, depth + 1);
            return;
        }
        AmfOutput.Byte(output, Amf0Marker.StrictArray);
        AmfOutput.UInt32(output, (uint)a.Dense.Count);
        foreach (var item in a.Dense)
        {
            Write(output, item, depth + 1);
        }
    }
}
