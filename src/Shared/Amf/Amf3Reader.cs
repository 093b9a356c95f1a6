using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Rtmfp.Shared.Amf;

/// <summary>
/// AMF3 decoder (AMF3 §1.3.1, §3) behind <see cref="AmfReader"/>. Keeps the string, object and traits tables
/// of the message scope (AMF3 §4.1); they persist across every AVM+ switch of the scope (A8).
/// </summary>
internal sealed class Amf3Reader : AmfDecoder
{
    private readonly List<string> _strings = [];
    private readonly List<AmfValue> _objects = [];
    private readonly List<AmfTraits> _traits = [];

    public Amf3Reader(AmfReadScope scope) : base(scope)
    {
    }

    /// <summary>Clears the reference tables.</summary>
    public void Reset()
    {
        _strings.Clear();
        _objects.Clear();
        _traits.Clear();
    }

    protected override bool ReadMarkedValue(ReadOnlySpan<byte> s, ref int p, byte marker, int depth, int start,
        [NotNullWhen(true)] out AmfValue? value)
    {
        value = null;
        switch (marker)
        {
            case Amf3Marker.Undefined:
            case Amf3Marker.Null:
            case Amf3Marker.False:
            case Amf3Marker.True:
                // AMF3 §3.2–§3.5: the marker is the whole value.
                value = marker switch
                {
                    Amf3Marker.Undefined => AmfUndefined.Instance,
                    Amf3Marker.Null => AmfNull.Instance,
                    Amf3Marker.False => AmfBoolean.False,
                    _ => AmfBoolean.True,
                };
                return true;
            case Amf3Marker.Integer:
                if (!ReadU29(s, ref p, out int u))
                {
                    return false;
                }
                // AMF3 §3.6: signed 29-bit.
                value = new AmfInteger((u & 0x10000000) != 0 ? u - 0x20000000 : u);
                return true;
            case Amf3Marker.Double:
                return Scope.ReadNumber(s, ref p, out value);
            case Amf3Marker.String:
                if (!ReadString(s, ref p, out var str))
                {
                    return false;
                }
                value = StringValue(str);
                return true;
            case Amf3Marker.XmlDocument:
            case Amf3Marker.Xml:
            case Amf3Marker.Date:
            case Amf3Marker.ByteArray:
            case Amf3Marker.Array:
            case Amf3Marker.Object:
            case Amf3Marker.VectorInt:
            case Amf3Marker.VectorUInt:
            case Amf3Marker.VectorDouble:
            case Amf3Marker.VectorObject:
            case Amf3Marker.Dictionary:
                return ReadReferenceable(s, ref p, marker, depth, start, out value);
            default:
                return Scope.Fail(AmfError.UnknownMarker, start);
        }
    }

    /// <summary>U29: three 7-bit groups, then a full 8-bit byte (A4: not LEB128).</summary>
    private bool ReadU29(ReadOnlySpan<byte> s, ref int p, out int value)
    {
        int result = 0;
        for (int i = 0; i < 4; i++)
        {
            if (p >= s.Length)
            {
                value = 0;
                return Scope.Fail(AmfError.Truncated, p);
            }
            byte b = s[p++];
            if (i == 3)
            {
                result = (result << 8) | b;
                break;
            }
            result = (result << 7) | (b & 0x7F);
            if ((b & 0x80) == 0)
            {
                break;
            }
        }
        value = result;
        return true;
    }

    /// <summary>
    /// The U29 that opens a string or a value of the object table (AMF3 §1.3.2, §3): low bit 0, a reference whose
    /// index, the bits above, must be below <paramref name="tableCount"/>; low bit 1, the inline length or count.
    /// </summary>
    private bool ReadReferenceOrLength(ReadOnlySpan<byte> s, ref int p, int tableCount, out bool isReference, out int n)
    {
        isReference = false;
        int at = p;
        if (!ReadU29(s, ref p, out int u))
        {
            n = 0;
            return false;
        }
        n = u >> 1;
        if ((u & 1) != 0)
        {
            return true;
        }
        isReference = true;
        return n < tableCount || Scope.Fail(AmfError.BadReference, at);
    }

    /// <summary>UTF-8-vr (AMF3 §1.3.2): a string reference or an inline string; "" is never a table entry.</summary>
    private bool ReadString(ReadOnlySpan<byte> s, ref int p, [NotNullWhen(true)] out string? value)
    {
        value = null;
        int at = p;
        if (!ReadReferenceOrLength(s, ref p, _strings.Count, out bool isReference, out int len))
        {
            return false;
        }
        if (isReference)
        {
            value = _strings[len];
            return true;
        }
        if (!Scope.ReadString(s, ref p, len, out value))
        {
            return false;
        }
        return len == 0 || Scope.AddReference(_strings, value, at);
    }

    /// <summary>
    /// The types the object table holds: a U29O-ref-or-value header, then either the referenced value or the
    /// inline value, whose length or count the header carries.
    /// </summary>
    private bool ReadReferenceable(ReadOnlySpan<byte> s, ref int p, byte marker, int depth, int start,
        [NotNullWhen(true)] out AmfValue? value)
    {
        int at = p;
        if (!ReadObjectHeader(s, ref p, out value, out int inline))
        {
            return false;
        }
        if (value is not null)
        {
            return true;
        }
        switch (marker)
        {
            case Amf3Marker.XmlDocument:
            case Amf3Marker.Xml:
                return ReadXml(s, ref p, marker, inline, start, out value);
            case Amf3Marker.Date:
                return ReadDate(s, ref p, start, out value);
            case Amf3Marker.ByteArray:
                return ReadByteArray(s, ref p, inline, start, out value);
            case Amf3Marker.Array:
                return ReadArray(s, ref p, depth, inline, start, out value);
            case Amf3Marker.Object:
                return ReadObject(s, ref p, depth, inline, start, at, out value);
            case Amf3Marker.VectorObject:
                return ReadObjectVector(s, ref p, depth, inline, start, out value);
            case Amf3Marker.Dictionary:
                return ReadDictionary(s, ref p, depth, inline, start, out value);
            default:
                return ReadNumericVector(s, ref p, marker, inline, start, out value);
        }
    }

    /// <summary>Reads a U29O-ref-or-value header. Returns the referenced value in <paramref name="reference"/>, else the inline length/count.</summary>
    private bool ReadObjectHeader(ReadOnlySpan<byte> s, ref int p, out AmfValue? reference, out int inline)
    {
        reference = null;
        int at = p;
        if (!ReadReferenceOrLength(s, ref p, _objects.Count, out bool isReference, out inline))
        {
            return false;
        }
        if (!isReference)
        {
            return true;
        }
        reference = _objects[inline];
        inline = 0;
        return Scope.IsOpen(reference) ? Scope.Fail(AmfError.CyclicReference, at) : Scope.ChargeReference(reference, at);
    }

    private bool ReadXml(ReadOnlySpan<byte> s, ref int p, byte marker, int length, int start, [NotNullWhen(true)] out AmfValue? value)
    {
        value = null;
        if (!Scope.ReadString(s, ref p, length, out var text))
        {
            return false;
        }
        value = new AmfXml(text, isDocument: marker == Amf3Marker.XmlDocument);
        return Scope.AddReference(_objects, value, start);
    }

    private bool ReadDate(ReadOnlySpan<byte> s, ref int p, int start, [NotNullWhen(true)] out AmfValue? value)
    {
        value = null;
        if (!Scope.ReadDouble(s, ref p, 8, out double ms))
        {
            return false;
        }
        value = new AmfDate(ms);
        return Scope.AddReference(_objects, value, start);
    }

    private bool ReadByteArray(ReadOnlySpan<byte> s, ref int p, int length, int start, [NotNullWhen(true)] out AmfValue? value)
    {
        value = null;
        if (length > Scope.Limits.MaxByteArrayLength)
        {
            return Scope.Fail(AmfError.TooLong, p);
        }
        if (length > s.Length - p)
        {
            return Scope.Fail(AmfError.Truncated, p);
        }
        value = new AmfByteArray(s.Slice(p, length).ToArray());
        p += length;
        return Scope.AddReference(_objects, value, start);
    }

    private bool ReadArray(ReadOnlySpan<byte> s, ref int p, int depth, int denseCount, int start, [NotNullWhen(true)] out AmfValue? value)
    {
        value = null;
        var array = new AmfArray();
        if (!Scope.OpenContainer(_objects, array, depth, start))
        {
            return false;
        }
        // AMF3 §3.11: associative part first, ended by the empty string.
        if (!ReadProperties(s, ref p, depth, array.Associative))
        {
            return false;
        }
        if (denseCount > s.Length - p)
        {
            return Scope.Fail(AmfError.TooManyElements, p);
        }
        if (!ReadItems(s, ref p, depth, denseCount, array.Dense))
        {
            return false;
        }
        Scope.CloseContainer();
        value = array;
        return true;
    }

    /// <summary>
    /// *(UTF-8-vr key, value) one level deeper, ended by the empty key: the associative part of an array
    /// (AMF3 §3.11) and the dynamic members of an object (§3.12).
    /// </summary>
    private bool ReadProperties(ReadOnlySpan<byte> s, ref int p, int depth, List<KeyValuePair<string, AmfValue>> into)
    {
        while (true)
        {
            if (!ReadString(s, ref p, out var key))
            {
                return false;
            }
            if (key.Length == 0)
            {
                return true;
            }
            if (!ReadValue(s, ref p, depth + 1, out var v))
            {
                return false;
            }
            into.Add(new(key, v));
        }
    }

    /// <summary>Reads <paramref name="count"/> AMF3 values one level deeper (dense array part, object vector).</summary>
    private bool ReadItems(ReadOnlySpan<byte> s, ref int p, int depth, int count, List<AmfValue> items)
    {
        for (int i = 0; i < count; i++)
        {
            if (!ReadValue(s, ref p, depth + 1, out var item))
            {
                return false;
            }
            items.Add(item);
        }
        return true;
    }

    /// <summary>AMF3 §3.12: traits, then the externalized body or the sealed and dynamic members.</summary>
    private bool ReadObject(ReadOnlySpan<byte> s, ref int p, int depth, int inline, int start, int at,
        [NotNullWhen(true)] out AmfValue? value)
    {
        value = null;
        if (depth >= Scope.Limits.MaxDepth)
        {
            return Scope.Fail(AmfError.DepthExceeded, start);
        }
        if (!ReadTraits(s, ref p, inline, at, out var traits))
        {
            return false;
        }
        if (traits.IsExternalizable && !Scope.Limits.SingleValueExternalizables.Contains(traits.ClassName))
        {
            return Scope.Fail(AmfError.UnknownExternalizable, at);
        }
        var obj = new AmfObject(traits);
        if (!Scope.AddReference(_objects, obj, start))
        {
            return false;
        }
        Scope.MarkOpen(obj);
        if (!ReadMembers(s, ref p, depth, obj))
        {
            return false;
        }
        Scope.CloseContainer();
        value = obj;
        return true;
    }

    /// <summary>AMF3 §3.12 / A6: a traits reference, externalizable traits or inline traits, told apart by the header's flag bits in this order.</summary>
    private bool ReadTraits(ReadOnlySpan<byte> s, ref int p, int inline, int at, [NotNullWhen(true)] out AmfTraits? traits)
    {
        traits = null;
        // Bit 0, set here, said "not an object reference".
        int u = (inline << 1) | 1;
        if ((u & 3) == 1)
        {
            int index = u >> 2;
            if (index >= _traits.Count)
            {
                return Scope.Fail(AmfError.BadReference, at);
            }
            traits = _traits[index];
            return true;
        }
        if ((u & 7) == 7)
        {
            if (!ReadString(s, ref p, out var className))
            {
                return false;
            }
            traits = new AmfTraits(className, [], isDynamic: false, isExternalizable: true);
            return Scope.AddReference(_traits, traits, at);
        }
        return ReadInlineTraits(s, ref p, u, at, out traits);
    }

    /// <summary>Class name and sealed member names; bit 3 of <paramref name="u"/> is the dynamic flag, the bits above it the sealed count.</summary>
    private bool ReadInlineTraits(ReadOnlySpan<byte> s, ref int p, int u, int at, [NotNullWhen(true)] out AmfTraits? traits)
    {
        traits = null;
        bool dynamic = (u & 8) != 0;
        int sealedCount = u >> 4;
        if (!ReadString(s, ref p, out var className))
        {
            return false;
        }
        // Each member name takes at least one byte.
        if (sealedCount > s.Length - p)
        {
            return Scope.Fail(AmfError.TooManyElements, p);
        }
        var names = sealedCount == 0 ? [] : new string[sealedCount];
        for (int i = 0; i < sealedCount; i++)
        {
            if (!ReadString(s, ref p, out var name))
            {
                return false;
            }
            names[i] = name;
        }
        // A fresh instance per inline definition, so a re-encode repeats the same traits references.
        traits = new AmfTraits(className, names, dynamic);
        return Scope.AddReference(_traits, traits, at);
    }

    /// <summary>The single body value of a known externalizable class, or the sealed values then the dynamic members.</summary>
    private bool ReadMembers(ReadOnlySpan<byte> s, ref int p, int depth, AmfObject obj)
    {
        if (obj.Traits.IsExternalizable)
        {
            if (!ReadValue(s, ref p, depth + 1, out var body))
            {
                return false;
            }
            obj.ExternalizedBody = body;
            return true;
        }
        for (int i = 0; i < obj.SealedValues.Length; i++)
        {
            if (!ReadValue(s, ref p, depth + 1, out var v))
            {
                return false;
            }
            obj.SealedValues[i] = v;
        }
        return !obj.Traits.IsDynamic || ReadProperties(s, ref p, depth, obj.DynamicProperties);
    }

    private bool ReadNumericVector(ReadOnlySpan<byte> s, ref int p, byte marker, int count, int start, [NotNullWhen(true)] out AmfValue? value)
    {
        value = null;
        if (!Scope.ReadFlag(s, ref p, out bool isFixed))
        {
            return false;
        }
        int itemSize = marker == Amf3Marker.VectorDouble ? 8 : 4;
        if ((long)count * itemSize > s.Length - p)
        {
            return Scope.Fail(AmfError.Truncated, p);
        }
        if (!Scope.CountElements(count, p))
        {
            return false;
        }
        var items = s.Slice(p, count * itemSize);
        p += count * itemSize;
        value = marker switch
        {
            Amf3Marker.VectorInt => ReadNumbers(items, count, 4, isFixed, BinaryPrimitives.ReadInt32BigEndian),
            Amf3Marker.VectorUInt => ReadNumbers(items, count, 4, isFixed, BinaryPrimitives.ReadUInt32BigEndian),
            _ => ReadNumbers(items, count, 8, isFixed, BinaryPrimitives.ReadDoubleBigEndian),
        };
        Scope.RememberExpansion(value, count + 1);
        return Scope.AddReference(_objects, value, start);
    }

    /// <summary>The items of a vector of int, uint or double (AMF3 §3.15): <paramref name="count"/> big-endian numbers.</summary>
    private static AmfVector<T> ReadNumbers<T>(ReadOnlySpan<byte> items, int count, int itemSize, bool isFixed, Func<ReadOnlySpan<byte>, T> read)
        where T : struct
    {
        var vector = new AmfVector<T>(isFixed);
        vector.Items.Capacity = count;
        for (int i = 0; i < count; i++)
        {
            vector.Items.Add(read(items.Slice(i * itemSize, itemSize)));
        }
        return vector;
    }

    private bool ReadObjectVector(ReadOnlySpan<byte> s, ref int p, int depth, int count, int start, [NotNullWhen(true)] out AmfValue? value)
    {
        value = null;
        if (!Scope.ReadFlag(s, ref p, out bool isFixed) || !ReadString(s, ref p, out var typeName))
        {
            return false;
        }
        if (count > s.Length - p)
        {
            return Scope.Fail(AmfError.TooManyElements, p);
        }
        var vector = new AmfVectorObject(typeName, isFixed);
        if (!Scope.OpenContainer(_objects, vector, depth, start))
        {
            return false;
        }
        if (!ReadItems(s, ref p, depth, count, vector.Items))
        {
            return false;
        }
        Scope.CloseContainer();
        value = vector;
        return true;
    }

    private bool ReadDictionary(ReadOnlySpan<byte> s, ref int p, int depth, int count, int start, [NotNullWhen(true)] out AmfValue? value)
    {
        value = null;
        if (!Scope.ReadFlag(s, ref p, out bool weak))
        {
            return false;
        }
        // Each entry takes at least two bytes (key and value markers).
        if ((long)count * 2 > s.Length - p)
        {
            return Scope.Fail(AmfError.TooManyElements, p);
        }
        var dictionary = new AmfDictionary(weak);
        if (!Scope.OpenContainer(_objects, dictionary, depth, start))
        {
            return false;
        }
        for (int i = 0; i < count; i++)
        {
            if (!ReadValue(s, ref p, depth + 1, out var key) || !ReadValue(s, ref p, depth + 1, out var v))
            {
                return false;
            }
            dictionary.Entries.Add(new(key, v));
        }
        Scope.CloseContainer();
        value = dictionary;
        return true;
    }
}
