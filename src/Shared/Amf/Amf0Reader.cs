using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Rtmfp.Shared.Amf;

/// <summary>
/// AMF0 decoder (AMF0 §2) behind <see cref="AmfReader"/>. Keeps the AMF0 reference table of the message
/// scope (AMF0 §4.1); an AVM+ switch (AMF0 §3.1) reads one value with the scope's <see cref="Amf3Reader"/>.
/// </summary>
internal sealed class Amf0Reader : AmfDecoder
{
    private readonly Amf3Reader _amf3;
    private readonly List<AmfValue> _references = [];

    public Amf0Reader(AmfReadScope scope, Amf3Reader amf3) : base(scope) => _amf3 = amf3;

    /// <summary>Clears the reference table.</summary>
    public void Reset() => _references.Clear();

    protected override bool ReadMarkedValue(ReadOnlySpan<byte> s, ref int p, byte marker, int depth, int start,
        [NotNullWhen(true)] out AmfValue? value)
    {
        value = null;
        switch (marker)
        {
            case Amf0Marker.Number:
                return Scope.ReadNumber(s, ref p, out value);
            case Amf0Marker.Boolean:
                if (!Scope.ReadFlag(s, ref p, out bool flag))
                {
                    return false;
                }
                value = flag ? AmfBoolean.True : AmfBoolean.False;
                return true;
            case Amf0Marker.String:
                if (!ReadUtf8(s, ref p, out var str))
                {
                    return false;
                }
                value = StringValue(str);
                return true;
            case Amf0Marker.LongString:
            case Amf0Marker.XmlDocument:
                return ReadLongString(s, ref p, marker, out value);
            case Amf0Marker.Null:
                value = AmfNull.Instance;
                return true;
            case Amf0Marker.Undefined:
            case Amf0Marker.Unsupported: // A9: rtmfp-cpp decodes 0x0D as undefined
                value = AmfUndefined.Instance;
                return true;
            case Amf0Marker.Reference:
                return ReadReference(s, ref p, out value);
            case Amf0Marker.Date:
                // AMF0 §2.13: the S16 time zone after the double is reserved; ignore it.
                if (!Scope.ReadDouble(s, ref p, 10, out double ms))
                {
                    return false;
                }
                value = new AmfDate(ms);
                return true;
            case Amf0Marker.Object:
            case Amf0Marker.TypedObject:
            case Amf0Marker.EcmaArray:
                return ReadPropertyContainer(s, ref p, marker, depth, start, out value);
            case Amf0Marker.StrictArray:
                return ReadStrictArray(s, ref p, depth, start, out value);
            case Amf0Marker.AvmPlus:
                // AMF0 §3.1: exactly one AMF3 value, then back to AMF0.
                Scope.SwitchedToAmf3 = true;
                return _amf3.ReadValue(s, ref p, depth, out value);
            case Amf0Marker.ObjectEnd:
                return Scope.Fail(AmfError.Malformed, start);
            default:
                return Scope.Fail(AmfError.UnknownMarker, start);
        }
    }

    /// <summary>UTF-8 (AMF0 §1.3): a U16 byte length, then the bytes.</summary>
    private bool ReadUtf8(ReadOnlySpan<byte> s, ref int p, [NotNullWhen(true)] out string? value)
    {
        value = null;
        if (s.Length - p < 2)
        {
            return Scope.Fail(AmfError.Truncated, p);
        }
        int len = BinaryPrimitives.ReadUInt16BigEndian(s[p..]);
        p += 2;
        return Scope.ReadString(s, ref p, len, out value);
    }

    /// <summary>Long string and XML document (AMF0 §2.14, §2.17): a U32 byte length, then the bytes.</summary>
    private bool ReadLongString(ReadOnlySpan<byte> s, ref int p, byte marker, [NotNullWhen(true)] out AmfValue? value)
    {
        value = null;
        if (s.Length - p < 4)
        {
            return Scope.Fail(AmfError.Truncated, p);
        }
        uint len = BinaryPrimitives.ReadUInt32BigEndian(s[p..]);
        p += 4;
        if (!Scope.ReadString(s, ref p, len, out var str))
        {
            return false;
        }
        value = marker == Amf0Marker.LongString ? new AmfString(str) : new AmfXml(str, isDocument: true);
        return true;
    }

    /// <summary>AMF0 §2.9: a U16 index into the table of complex values.</summary>
    private bool ReadReference(ReadOnlySpan<byte> s, ref int p, [NotNullWhen(true)] out AmfValue? value)
    {
        value = null;
        if (s.Length - p < 2)
        {
            return Scope.Fail(AmfError.Truncated, p);
        }
        int index = BinaryPrimitives.ReadUInt16BigEndian(s[p..]);
        if (index >= _references.Count)
        {
            return Scope.Fail(AmfError.BadReference, p);
        }
        var target = _references[index];
        if (Scope.IsOpen(target))
        {
            return Scope.Fail(AmfError.CyclicReference, p);
        }
        if (!Scope.ChargeReference(target, p))
        {
            return false;
        }
        p += 2;
        value = target;
        return true;
    }

    /// <summary>Anonymous object, typed object (class name first) or ECMA array (U32 count first): then properties.</summary>
    private bool ReadPropertyContainer(ReadOnlySpan<byte> s, ref int p, byte marker, int depth, int start,
        [NotNullWhen(true)] out AmfValue? value)
    {
        value = null;
        AmfValue container;
        List<KeyValuePair<string, AmfValue>> properties;
        if (marker == Amf0Marker.EcmaArray)
        {
            // A2: the associative count is not trusted; read until 00 00 09.
            if (s.Length - p < 4)
            {
                return Scope.Fail(AmfError.Truncated, p);
            }
            p += 4;
            var array = new AmfArray { IsEcmaArray = true };
            container = array;
            properties = array.Associative;
        }
        else
        {
            string className = string.Empty;
            if (marker == Amf0Marker.TypedObject && !ReadUtf8(s, ref p, out className!))
            {
                return false;
            }
            var obj = new AmfObject(className);
            container = obj;
            properties = obj.DynamicProperties;
        }
        if (!Scope.OpenContainer(_references, container, depth, start) || !ReadProperties(s, ref p, depth + 1, properties))
        {
            return false;
        }
        Scope.CloseContainer();
        value = container;
        return true;
    }

    /// <summary>*(UTF-8 key, value) ended by the triplet 00 00 09 (A2: an empty key alone does not end it).</summary>
    private bool ReadProperties(ReadOnlySpan<byte> s, ref int p, int depth, List<KeyValuePair<string, AmfValue>> into)
    {
        while (true)
        {
            if (s.Length - p < 2)
            {
                return Scope.Fail(AmfError.Truncated, p);
            }
            int len = BinaryPrimitives.ReadUInt16BigEndian(s[p..]);
            if (len == 0 && p + 2 < s.Length && s[p + 2] == Amf0Marker.ObjectEnd)
            {
                p += 3;
                return true;
            }
            p += 2;
            if (!Scope.ReadString(s, ref p, len, out var key))
            {
                return false;
            }
            if (!ReadValue(s, ref p, depth, out var v))
            {
                return false;
            }
            into.Add(new(key, v));
        }
    }

    /// <summary>AMF0 §2.12: a U32 count, then that many values.</summary>
    private bool ReadStrictArray(ReadOnlySpan<byte> s, ref int p, int depth, int start, [NotNullWhen(true)] out AmfValue? value)
    {
        value = null;
        if (s.Length - p < 4)
        {
            return Scope.Fail(AmfError.Truncated, p);
        }
        uint count = BinaryPrimitives.ReadUInt32BigEndian(s[p..]);
        p += 4;
        // Each value takes at least one byte (A9).
        if (count > (uint)(s.Length - p))
        {
            return Scope.Fail(AmfError.TooManyElements, p);
        }
        var array = new AmfArray();
        if (!Scope.OpenContainer(_references, array, depth, start))
        {
            return false;
        }
        for (uint i = 0; i < count; i++)
        {
            if (!ReadValue(s, ref p, depth + 1, out var item))
            {
                return false;
            }
            array.Dense.Add(item);
        }
        Scope.CloseContainer();
        value = array;
        return true;
    }
}
