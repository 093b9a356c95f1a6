using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Rtmfp.Shared.Amf;

/// <summary>
/// Non-throwing AMF0/AMF3 decoder. One instance keeps the reference tables of one message scope
/// (AMF0 §4.1, AMF3 §4.1: for RTMP, one message payload); call <see cref="Reset"/> between
/// messages. The AMF3 tables persist across every AVM+ switch of the scope, as Mona and librtmfp
/// write them (amf-and-flash-messages.md A8). Not thread-safe; reuse it to reuse its tables.
/// </summary>
public sealed class AmfReader
{
    private readonly List<AmfValue> _amf0Refs = [];
    private readonly List<string> _strings = [];
    private readonly List<AmfValue> _objects = [];
    private readonly List<AmfTraits> _traits = [];
    // Containers still being decoded: a reference to one of them would form a cycle (rejected, A9).
    private readonly List<AmfValue> _open = [];
    private int _elements;

    public AmfReader(AmfLimits? limits = null) => Limits = limits ?? AmfLimits.Default;

    public AmfLimits Limits { get; }

    /// <summary>Why the last read failed (<see cref="AmfError.None"/> after a success). After a failure the tables may hold partial entries: <see cref="Reset"/> before reading another message.</summary>
    public AmfError Error { get; private set; }

    /// <summary>Offset in the source where the last failure was detected.</summary>
    public int ErrorOffset { get; private set; }

    /// <summary>Starts a new message scope: clears all reference tables and the element budget.</summary>
    public void Reset()
    {
        _amf0Refs.Clear();
        _strings.Clear();
        _objects.Clear();
        _traits.Clear();
        _open.Clear();
        _elements = 0;
        Error = AmfError.None;
        ErrorOffset = 0;
    }

    /// <summary>Reads one AMF0 value at <paramref name="offset"/>; on failure the offset does not move.</summary>
    public bool TryReadAmf0(ReadOnlySpan<byte> source, ref int offset, [NotNullWhen(true)] out AmfValue? value)
    {
        int p = offset;
        _open.Clear();
        Error = AmfError.None;
        if (!ReadAmf0(source, ref p, 0, out value))
        {
            value = null;
            return false;
        }
        offset = p;
        return true;
    }

    /// <summary>Reads one AMF3 value at <paramref name="offset"/>; on failure the offset does not move.</summary>
    public bool TryReadAmf3(ReadOnlySpan<byte> source, ref int offset, [NotNullWhen(true)] out AmfValue? value)
    {
        int p = offset;
        _open.Clear();
        Error = AmfError.None;
        if (!ReadAmf3(source, ref p, 0, out value))
        {
            value = null;
            return false;
        }
        offset = p;
        return true;
    }

    /// <summary>Resets the scope and reads AMF0 values until the end of <paramref name="source"/>.</summary>
    public bool TryReadAllAmf0(ReadOnlySpan<byte> source, List<AmfValue> values)
    {
        Reset();
        int p = 0;
        while (p < source.Length)
        {
            if (!TryReadAmf0(source, ref p, out var v))
            {
                return false;
            }
            values.Add(v);
        }
        return true;
    }

    private bool Fail(AmfError error, int at)
    {
        Error = error;
        ErrorOffset = at;
        return false;
    }

    private bool CountElement(int at)
    {
        if (++_elements > Limits.MaxElements)
        {
            return Fail(AmfError.TooManyElements, at);
        }
        return true;
    }

    private bool AddObject(AmfValue v, int at) => AddReference(_objects, v, at);

    private bool AddReference(List<AmfValue> table, AmfValue v, int at)
    {
        if (table.Count >= Limits.MaxReferences)
        {
            return Fail(AmfError.TableFull, at);
        }
        table.Add(v);
        return true;
    }

    /// <summary>Bounds the depth, registers the container in its reference table and marks it open (cycle check).</summary>
    private bool OpenContainer(List<AmfValue> table, AmfValue container, int depth, int start)
    {
        if (depth >= Limits.MaxDepth)
        {
            return Fail(AmfError.DepthExceeded, start);
        }
        if (!AddReference(table, container, start))
        {
            return false;
        }
        _open.Add(container);
        return true;
    }

    /// <summary>Every value starts with a marker byte, and counts against the element bound.</summary>
    private bool ReadMarker(ReadOnlySpan<byte> s, ref int p, out byte marker)
    {
        marker = 0;
        if (p >= s.Length)
        {
            return Fail(AmfError.Truncated, p);
        }
        if (!CountElement(p))
        {
            return false;
        }
        marker = s[p++];
        return true;
    }

    private bool IsOpen(AmfValue v)
    {
        for (int i = 0; i < _open.Count; i++)
        {
            if (ReferenceEquals(_open[i], v))
            {
                return true;
            }
        }
        return false;
    }

    private bool ReadString(ReadOnlySpan<byte> s, ref int p, long length, [NotNullWhen(true)] out string? value)
    {
        value = null;
        if (length > Limits.MaxStringLength)
        {
            return Fail(AmfError.TooLong, p);
        }
        if (length > s.Length - p)
        {
            return Fail(AmfError.Truncated, p);
        }
        // Invalid UTF-8 is replaced, never thrown (Encoding.UTF8 uses a replacement fallback).
        value = length == 0 ? string.Empty : Encoding.UTF8.GetString(s.Slice(p, (int)length));
        p += (int)length;
        return true;
    }

    // ----- AMF0 (AMF0 §2) -----

    /// <summary>UTF-8 (AMF0 §1.3): a U16 byte length, then the bytes.</summary>
    private bool ReadAmf0Utf8(ReadOnlySpan<byte> s, ref int p, [NotNullWhen(true)] out string? value)
    {
        value = null;
        if (s.Length - p < 2)
        {
            return Fail(AmfError.Truncated, p);
        }
        int len = BinaryPrimitives.ReadUInt16BigEndian(s[p..]);
        p += 2;
        return ReadString(s, ref p, len, out value);
    }

    private bool ReadAmf0(ReadOnlySpan<byte> s, ref int p, int depth, [NotNullWhen(true)] out AmfValue? value)
    {
        value = null;
        int start = p;
        if (!ReadMarker(s, ref p, out byte marker))
        {
            return false;
        }
        switch (marker)
        {
            case Amf0Marker.Number:
                if (s.Length - p < 8)
                {
                    return Fail(AmfError.Truncated, p);
                }
                value = new AmfNumber(BinaryPrimitives.ReadDoubleBigEndian(s[p..]));
                p += 8;
                return true;
            case Amf0Marker.Boolean:
                if (p >= s.Length)
                {
                    return Fail(AmfError.Truncated, p);
                }
                value = s[p++] != 0 ? AmfBoolean.True : AmfBoolean.False;
                return true;
            case Amf0Marker.String:
            {
                if (!ReadAmf0Utf8(s, ref p, out var str))
                {
                    return false;
                }
                value = str.Length == 0 ? AmfString.Empty : new AmfString(str);
                return true;
            }
            case Amf0Marker.LongString:
            case Amf0Marker.XmlDocument:
            {
                if (s.Length - p < 4)
                {
                    return Fail(AmfError.Truncated, p);
                }
                uint len = BinaryPrimitives.ReadUInt32BigEndian(s[p..]);
                p += 4;
                if (!ReadString(s, ref p, len, out var str))
                {
                    return false;
                }
                value = marker == Amf0Marker.LongString ? new AmfString(str) : new AmfXml(str, isDocument: true);
                return true;
            }
            case Amf0Marker.Null:
                value = AmfNull.Instance;
                return true;
            case Amf0Marker.Undefined:
            case Amf0Marker.Unsupported: // A9: rtmfp-cpp decodes 0x0D as undefined
                value = AmfUndefined.Instance;
                return true;
            case Amf0Marker.Reference:
            {
                if (s.Length - p < 2)
                {
                    return Fail(AmfError.Truncated, p);
                }
                int index = BinaryPrimitives.ReadUInt16BigEndian(s[p..]);
                if (index >= _amf0Refs.Count)
                {
                    return Fail(AmfError.BadReference, p);
                }
                var target = _amf0Refs[index];
                if (IsOpen(target))
                {
                    return Fail(AmfError.CyclicReference, p);
                }
                p += 2;
                value = target;
                return true;
            }
            case Amf0Marker.Date:
                if (s.Length - p < 10)
                {
                    return Fail(AmfError.Truncated, p);
                }
                // AMF0 §2.13: the S16 time zone is reserved; ignore it.
                value = new AmfDate(BinaryPrimitives.ReadDoubleBigEndian(s[p..]));
                p += 10;
                return true;
            case Amf0Marker.Object:
            case Amf0Marker.TypedObject:
            {
                string className = string.Empty;
                if (marker == Amf0Marker.TypedObject && !ReadAmf0Utf8(s, ref p, out className!))
                {
                    return false;
                }
                var obj = new AmfObject(className);
                return ReadAmf0Container(s, ref p, depth, start, obj, obj.DynamicProperties, out value);
            }
            case Amf0Marker.EcmaArray:
            {
                // A2: the associative count is not trusted; read until 00 00 09.
                if (s.Length - p < 4)
                {
                    return Fail(AmfError.Truncated, p);
                }
                p += 4;
                var array = new AmfArray { IsEcmaArray = true };
                return ReadAmf0Container(s, ref p, depth, start, array, array.Associative, out value);
            }
            case Amf0Marker.StrictArray:
            {
                if (s.Length - p < 4)
                {
                    return Fail(AmfError.Truncated, p);
                }
                uint count = BinaryPrimitives.ReadUInt32BigEndian(s[p..]);
                p += 4;
                // Each value takes at least one byte (A9).
                if (count > (uint)(s.Length - p))
                {
                    return Fail(AmfError.TooManyElements, p);
                }
                var array = new AmfArray();
                if (!OpenContainer(_amf0Refs, array, depth, start))
                {
                    return false;
                }
                for (uint i = 0; i < count; i++)
                {
                    if (!ReadAmf0(s, ref p, depth + 1, out var item))
                    {
                        return false;
                    }
                    array.Dense.Add(item);
                }
                _open.RemoveAt(_open.Count - 1);
                value = array;
                return true;
            }
            case Amf0Marker.AvmPlus:
                // AMF0 §3.1: exactly one AMF3 value, then back to AMF0.
                return ReadAmf3(s, ref p, depth, out value);
            case Amf0Marker.ObjectEnd:
                return Fail(AmfError.Malformed, start);
            default:
                return Fail(AmfError.UnknownMarker, start);
        }
    }

    /// <summary>An anonymous/typed object or ECMA array: registers <paramref name="container"/>, then its properties.</summary>
    private bool ReadAmf0Container(ReadOnlySpan<byte> s, ref int p, int depth, int start, AmfValue container,
        List<KeyValuePair<string, AmfValue>> properties, [NotNullWhen(true)] out AmfValue? value)
    {
        value = null;
        if (!OpenContainer(_amf0Refs, container, depth, start) || !ReadAmf0Properties(s, ref p, depth + 1, properties))
        {
            return false;
        }
        _open.RemoveAt(_open.Count - 1);
        value = container;
        return true;
    }

    /// <summary>*(UTF-8 key, value) ended by the triplet 00 00 09 (A2: an empty key alone does not end it).</summary>
    private bool ReadAmf0Properties(ReadOnlySpan<byte> s, ref int p, int depth, List<KeyValuePair<string, AmfValue>> into)
    {
        while (true)
        {
            if (s.Length - p < 2)
            {
                return Fail(AmfError.Truncated, p);
            }
            int len = BinaryPrimitives.ReadUInt16BigEndian(s[p..]);
            if (len == 0 && p + 2 < s.Length && s[p + 2] == Amf0Marker.ObjectEnd)
            {
                p += 3;
                return true;
            }
            p += 2;
            if (!ReadString(s, ref p, len, out var key))
            {
                return false;
            }
            if (!ReadAmf0(s, ref p, depth, out var v))
            {
                return false;
            }
            into.Add(new(key, v));
        }
    }

    // ----- AMF3 (AMF3 §1.3.1, §3) -----

    /// <summary>U29: three 7-bit groups, then a full 8-bit byte (A4: not LEB128).</summary>
    private bool ReadU29(ReadOnlySpan<byte> s, ref int p, out int value)
    {
        int result = 0;
        for (int i = 0; i < 4; i++)
        {
            if (p >= s.Length)
            {
                value = 0;
                return Fail(AmfError.Truncated, p);
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

    /// <summary>UTF-8-vr (AMF3 §1.3.2): a string reference or an inline string; "" is never a table entry.</summary>
    private bool ReadAmf3String(ReadOnlySpan<byte> s, ref int p, [NotNullWhen(true)] out string? value)
    {
        value = null;
        int at = p;
        if (!ReadU29(s, ref p, out int u))
        {
            return false;
        }
        if ((u & 1) == 0)
        {
            int index = u >> 1;
            if (index >= _strings.Count)
            {
                return Fail(AmfError.BadReference, at);
            }
            value = _strings[index];
            return true;
        }
        int len = u >> 1;
        if (!ReadString(s, ref p, len, out value))
        {
            return false;
        }
        if (len != 0)
        {
            if (_strings.Count >= Limits.MaxReferences)
            {
                return Fail(AmfError.TableFull, at);
            }
            _strings.Add(value);
        }
        return true;
    }

    /// <summary>Reads a U29O-ref-or-value header. Returns the referenced value in <paramref name="reference"/>, else the inline length/count.</summary>
    private bool ReadObjectHeader(ReadOnlySpan<byte> s, ref int p, out AmfValue? reference, out int inline)
    {
        reference = null;
        inline = 0;
        int at = p;
        if (!ReadU29(s, ref p, out int u))
        {
            return false;
        }
        if ((u & 1) == 0)
        {
            int index = u >> 1;
            if (index >= _objects.Count)
            {
                return Fail(AmfError.BadReference, at);
            }
            reference = _objects[index];
            if (IsOpen(reference))
            {
                return Fail(AmfError.CyclicReference, at);
            }
            return true;
        }
        inline = u >> 1;
        return true;
    }

    private bool ReadAmf3(ReadOnlySpan<byte> s, ref int p, int depth, [NotNullWhen(true)] out AmfValue? value)
    {
        value = null;
        int start = p;
        if (!ReadMarker(s, ref p, out byte marker))
        {
            return false;
        }
        switch (marker)
        {
            case Amf3Marker.Undefined:
                value = AmfUndefined.Instance;
                return true;
            case Amf3Marker.Null:
                value = AmfNull.Instance;
                return true;
            case Amf3Marker.False:
                value = AmfBoolean.False;
                return true;
            case Amf3Marker.True:
                value = AmfBoolean.True;
                return true;
            case Amf3Marker.Integer:
            {
                if (!ReadU29(s, ref p, out int u))
                {
                    return false;
                }
                // AMF3 §3.6: signed 29-bit.
                value = new AmfInteger((u & 0x10000000) != 0 ? u - 0x20000000 : u);
                return true;
            }
            case Amf3Marker.Double:
                if (s.Length - p < 8)
                {
                    return Fail(AmfError.Truncated, p);
                }
                value = new AmfNumber(BinaryPrimitives.ReadDoubleBigEndian(s[p..]));
                p += 8;
                return true;
            case Amf3Marker.String:
            {
                if (!ReadAmf3String(s, ref p, out var str))
                {
                    return false;
                }
                value = str.Length == 0 ? AmfString.Empty : new AmfString(str);
                return true;
            }
            case Amf3Marker.XmlDocument:
            case Amf3Marker.Xml:
            {
                if (!ReadObjectHeader(s, ref p, out var reference, out int len))
                {
                    return false;
                }
                if (reference is not null)
                {
                    value = reference;
                    return true;
                }
                if (!ReadString(s, ref p, len, out var text))
                {
                    return false;
                }
                value = new AmfXml(text, isDocument: marker == Amf3Marker.XmlDocument);
                return AddObject(value, start);
            }
            case Amf3Marker.Date:
            {
                if (!ReadObjectHeader(s, ref p, out var reference, out _))
                {
                    return false;
                }
                if (reference is not null)
                {
                    value = reference;
                    return true;
                }
                if (s.Length - p < 8)
                {
                    return Fail(AmfError.Truncated, p);
                }
                value = new AmfDate(BinaryPrimitives.ReadDoubleBigEndian(s[p..]));
                p += 8;
                return AddObject(value, start);
            }
            case Amf3Marker.ByteArray:
            {
                if (!ReadObjectHeader(s, ref p, out var reference, out int len))
                {
                    return false;
                }
                if (reference is not null)
                {
                    value = reference;
                    return true;
                }
                if (len > Limits.MaxByteArrayLength)
                {
                    return Fail(AmfError.TooLong, p);
                }
                if (len > s.Length - p)
                {
                    return Fail(AmfError.Truncated, p);
                }
                value = new AmfByteArray(s.Slice(p, len).ToArray());
                p += len;
                return AddObject(value, start);
            }
            case Amf3Marker.Array:
                return ReadAmf3Array(s, ref p, depth, start, out value);
            case Amf3Marker.Object:
                return ReadAmf3Object(s, ref p, depth, start, out value);
            case Amf3Marker.VectorInt:
            case Amf3Marker.VectorUInt:
            case Amf3Marker.VectorDouble:
                return ReadAmf3NumericVector(s, ref p, marker, start, out value);
            case Amf3Marker.VectorObject:
                return ReadAmf3ObjectVector(s, ref p, depth, start, out value);
            case Amf3Marker.Dictionary:
                return ReadAmf3Dictionary(s, ref p, depth, start, out value);
            default:
                return Fail(AmfError.UnknownMarker, start);
        }
    }

    private bool ReadAmf3Array(ReadOnlySpan<byte> s, ref int p, int depth, int start, [NotNullWhen(true)] out AmfValue? value)
    {
        value = null;
        if (!ReadObjectHeader(s, ref p, out var reference, out int denseCount))
        {
            return false;
        }
        if (reference is not null)
        {
            value = reference;
            return true;
        }
        var array = new AmfArray();
        if (!OpenContainer(_objects, array, depth, start))
        {
            return false;
        }
        // AMF3 §3.11: associative part first, ended by the empty string.
        if (!ReadAmf3Properties(s, ref p, depth, array.Associative))
        {
            return false;
        }
        if (denseCount > s.Length - p)
        {
            return Fail(AmfError.TooManyElements, p);
        }
        if (!ReadAmf3Items(s, ref p, depth, denseCount, array.Dense))
        {
            return false;
        }
        _open.RemoveAt(_open.Count - 1);
        value = array;
        return true;
    }

    /// <summary>
    /// *(UTF-8-vr key, value) one level deeper, ended by the empty key: the associative part of an array
    /// (AMF3 §3.11) and the dynamic members of an object (§3.12).
    /// </summary>
    private bool ReadAmf3Properties(ReadOnlySpan<byte> s, ref int p, int depth, List<KeyValuePair<string, AmfValue>> into)
    {
        while (true)
        {
            if (!ReadAmf3String(s, ref p, out var key))
            {
                return false;
            }
            if (key.Length == 0)
            {
                return true;
            }
            if (!ReadAmf3(s, ref p, depth + 1, out var v))
            {
                return false;
            }
            into.Add(new(key, v));
        }
    }

    /// <summary>Reads <paramref name="count"/> AMF3 values one level deeper (dense array part, object vector).</summary>
    private bool ReadAmf3Items(ReadOnlySpan<byte> s, ref int p, int depth, int count, List<AmfValue> items)
    {
        for (int i = 0; i < count; i++)
        {
            if (!ReadAmf3(s, ref p, depth + 1, out var item))
            {
                return false;
            }
            items.Add(item);
        }
        return true;
    }

    private bool ReadAmf3Object(ReadOnlySpan<byte> s, ref int p, int depth, int start, [NotNullWhen(true)] out AmfValue? value)
    {
        value = null;
        int at = p;
        if (!ReadObjectHeader(s, ref p, out var reference, out int inline))
        {
            return false;
        }
        if (reference is not null)
        {
            value = reference;
            return true;
        }
        // AMF3 §3.12 / A6: test the flag bits in this order (bit 0, set here, said "not an object reference").
        int u = (inline << 1) | 1;
        if (depth >= Limits.MaxDepth)
        {
            return Fail(AmfError.DepthExceeded, start);
        }
        AmfTraits traits;
        if ((u & 3) == 1)
        {
            int index = u >> 2;
            if (index >= _traits.Count)
            {
                return Fail(AmfError.BadReference, at);
            }
            traits = _traits[index];
        }
        else if ((u & 7) == 7)
        {
            if (!ReadAmf3String(s, ref p, out var className))
            {
                return false;
            }
            traits = new AmfTraits(className, [], isDynamic: false, isExternalizable: true);
            if (!AddTraits(traits, at))
            {
                return false;
            }
        }
        else
        {
            bool dynamic = (u & 8) != 0;
            int sealedCount = u >> 4;
            if (!ReadAmf3String(s, ref p, out var className))
            {
                return false;
            }
            // Each member name takes at least one byte.
            if (sealedCount > s.Length - p)
            {
                return Fail(AmfError.TooManyElements, p);
            }
            var names = sealedCount == 0 ? [] : new string[sealedCount];
            for (int i = 0; i < sealedCount; i++)
            {
                if (!ReadAmf3String(s, ref p, out var name))
                {
                    return false;
                }
                names[i] = name;
            }
            // A fresh instance per inline definition, so a re-encode repeats the same traits references.
            traits = new AmfTraits(className, names, dynamic);
            if (!AddTraits(traits, at))
            {
                return false;
            }
        }

        if (traits.IsExternalizable && !Limits.SingleValueExternalizables.Contains(traits.ClassName))
        {
            return Fail(AmfError.UnknownExternalizable, at);
        }
        var obj = new AmfObject(traits);
        if (!AddObject(obj, start))
        {
            return false;
        }
        _open.Add(obj);
        if (traits.IsExternalizable)
        {
            if (!ReadAmf3(s, ref p, depth + 1, out var body))
            {
                return false;
            }
            obj.ExternalizedBody = body;
        }
        else
        {
            for (int i = 0; i < obj.SealedValues.Length; i++)
            {
                if (!ReadAmf3(s, ref p, depth + 1, out var v))
                {
                    return false;
                }
                obj.SealedValues[i] = v;
            }
            if (traits.IsDynamic && !ReadAmf3Properties(s, ref p, depth, obj.DynamicProperties))
            {
                return false;
            }
        }
        _open.RemoveAt(_open.Count - 1);
        value = obj;
        return true;
    }

    private bool AddTraits(AmfTraits traits, int at)
    {
        if (_traits.Count >= Limits.MaxReferences)
        {
            return Fail(AmfError.TableFull, at);
        }
        _traits.Add(traits);
        return true;
    }

    /// <summary>Vectors and dictionaries (AMF3 §3.15, §3.16): the U29O-ref header, then if inline a flag byte (fixed / weak keys).</summary>
    private bool ReadFlaggedHeader(ReadOnlySpan<byte> s, ref int p, out AmfValue? reference, out int count, out bool flag)
    {
        flag = false;
        if (!ReadObjectHeader(s, ref p, out reference, out count))
        {
            return false;
        }
        if (reference is not null)
        {
            return true;
        }
        if (p >= s.Length)
        {
            return Fail(AmfError.Truncated, p);
        }
        flag = s[p++] != 0;
        return true;
    }

    private bool ReadAmf3NumericVector(ReadOnlySpan<byte> s, ref int p, byte marker, int start, [NotNullWhen(true)] out AmfValue? value)
    {
        value = null;
        if (!ReadFlaggedHeader(s, ref p, out var reference, out int count, out bool isFixed))
        {
            return false;
        }
        if (reference is not null)
        {
            value = reference;
            return true;
        }
        int itemSize = marker == Amf3Marker.VectorDouble ? 8 : 4;
        if ((long)count * itemSize > s.Length - p)
        {
            return Fail(AmfError.Truncated, p);
        }
        if (_elements + (long)count > Limits.MaxElements)
        {
            return Fail(AmfError.TooManyElements, p);
        }
        _elements += count;
        var items = s.Slice(p, count * itemSize);
        p += count * itemSize;
        switch (marker)
        {
            case Amf3Marker.VectorInt:
            {
                var v = new AmfVector<int>(isFixed);
                v.Items.Capacity = count;
                for (int i = 0; i < count; i++)
                {
                    v.Items.Add(BinaryPrimitives.ReadInt32BigEndian(items[(i * 4)..]));
                }
                value = v;
                break;
            }
            case Amf3Marker.VectorUInt:
            {
                var v = new AmfVector<uint>(isFixed);
                v.Items.Capacity = count;
                for (int i = 0; i < count; i++)
                {
                    v.Items.Add(BinaryPrimitives.ReadUInt32BigEndian(items[(i * 4)..]));
                }
                value = v;
                break;
            }
            default:
            {
                var v = new AmfVector<double>(isFixed);
                v.Items.Capacity = count;
                for (int i = 0; i < count; i++)
                {
                    v.Items.Add(BinaryPrimitives.ReadDoubleBigEndian(items[(i * 8)..]));
                }
                value = v;
                break;
            }
        }
        return AddObject(value, start);
    }

    private bool ReadAmf3ObjectVector(ReadOnlySpan<byte> s, ref int p, int depth, int start, [NotNullWhen(true)] out AmfValue? value)
    {
        value = null;
        if (!ReadFlaggedHeader(s, ref p, out var reference, out int count, out bool isFixed))
        {
            return false;
        }
        if (reference is not null)
        {
            value = reference;
            return true;
        }
        if (!ReadAmf3String(s, ref p, out var typeName))
        {
            return false;
        }
        if (count > s.Length - p)
        {
            return Fail(AmfError.TooManyElements, p);
        }
        var vector = new AmfVectorObject(typeName, isFixed);
        if (!OpenContainer(_objects, vector, depth, start))
        {
            return false;
        }
        if (!ReadAmf3Items(s, ref p, depth, count, vector.Items))
        {
            return false;
        }
        _open.RemoveAt(_open.Count - 1);
        value = vector;
        return true;
    }

    private bool ReadAmf3Dictionary(ReadOnlySpan<byte> s, ref int p, int depth, int start, [NotNullWhen(true)] out AmfValue? value)
    {
        value = null;
        if (!ReadFlaggedHeader(s, ref p, out var reference, out int count, out bool weak))
        {
            return false;
        }
        if (reference is not null)
        {
            value = reference;
            return true;
        }
        // Each entry takes at least two bytes (key and value markers).
        if ((long)count * 2 > s.Length - p)
        {
            return Fail(AmfError.TooManyElements, p);
        }
        var dictionary = new AmfDictionary(weak);
        if (!OpenContainer(_objects, dictionary, depth, start))
        {
            return false;
        }
        for (int i = 0; i < count; i++)
        {
            if (!ReadAmf3(s, ref p, depth + 1, out var key) || !ReadAmf3(s, ref p, depth + 1, out var v))
            {
                return false;
            }
            dictionary.Entries.Add(new(key, v));
        }
        _open.RemoveAt(_open.Count - 1);
        value = dictionary;
        return true;
    }
}
