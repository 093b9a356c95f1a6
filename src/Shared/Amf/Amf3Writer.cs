using System.Buffers;
using System.Text;

namespace Rtmfp.Shared.Amf;

/// <summary>
/// AMF3 encoder (AMF3 §3). Keeps string, object and traits tables until <see cref="Reset"/> so that
/// repeated strings, instances (by reference identity) and <see cref="AmfTraits"/> instances are
/// written as references. Writing is for our own values: caller bugs (an empty associative key,
/// an externalizable object without body, nesting beyond <see cref="MaxDepth"/>) throw.
/// </summary>
internal sealed class Amf3Writer
{
    private readonly Dictionary<string, int> _strings = new(StringComparer.Ordinal);
    private readonly Dictionary<AmfValue, int> _objects = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<AmfTraits, int> _traits = new(ReferenceEqualityComparer.Instance);
    private int _objectCount;
    private int _stringCount;
    private int _traitsCount;

    /// <summary>Emit references for repeated strings, instances and traits (default true).</summary>
    public bool UseReferences { get; set; } = true;

    /// <summary>Guards against cyclic graphs when <see cref="UseReferences"/> is off.</summary>
    public int MaxDepth { get; set; } = 64;

    public void Reset()
    {
        _strings.Clear();
        _objects.Clear();
        _traits.Clear();
        _objectCount = 0;
        _stringCount = 0;
        _traitsCount = 0;
    }

    public void Write(IBufferWriter<byte> output, AmfValue value) => Write(output, value, 0);

    /// <summary>UTF-8-vr (AMF3 §1.3.2) as used for keys, class names and string values (without marker).</summary>
    public void WriteUtf8Vr(IBufferWriter<byte> output, string text)
    {
        if (text.Length == 0)
        {
            AmfOutput.Byte(output, 0x01);
            return;
        }
        if (UseReferences && _strings.TryGetValue(text, out int index))
        {
            AmfOutput.U29(output, index << 1);
            return;
        }
        int byteCount = Encoding.UTF8.GetByteCount(text);
        if (byteCount > 0x0FFFFFFF)
        {
            throw new ArgumentException("AMF3 string longer than 2^28-1 bytes", nameof(text));
        }
        _strings.TryAdd(text, _stringCount);
        _stringCount++;
        AmfOutput.U29(output, (byteCount << 1) | 1);
        AmfOutput.Utf8(output, text, byteCount);
    }

    private void Write(IBufferWriter<byte> output, AmfValue value, int depth)
    {
        AmfOutput.ThrowIfTooDeep(depth, MaxDepth);
        switch (value)
        {
            case AmfUndefined:
                AmfOutput.Byte(output, Amf3Marker.Undefined);
                return;
            case AmfNull:
                AmfOutput.Byte(output, Amf3Marker.Null);
                return;
            case AmfBoolean b:
                AmfOutput.Byte(output, b.Value ? Amf3Marker.True : Amf3Marker.False);
                return;
            case AmfInteger i when i.FitsU29:
                AmfOutput.Byte(output, Amf3Marker.Integer);
                AmfOutput.U29(output, i.Value);
                return;
            case AmfInteger i:
                // A4: out-of-range integers travel as doubles.
                AmfOutput.Byte(output, Amf3Marker.Double);
                AmfOutput.Double(output, i.Value);
                return;
            case AmfNumber n:
                AmfOutput.Byte(output, Amf3Marker.Double);
                AmfOutput.Double(output, n.Value);
                return;
            case AmfString s:
                AmfOutput.Byte(output, Amf3Marker.String);
                WriteUtf8Vr(output, s.Value);
                return;
        }

        byte marker = value switch
        {
            AmfXml x => x.IsDocument ? Amf3Marker.XmlDocument : Amf3Marker.Xml,
            AmfDate => Amf3Marker.Date,
            AmfArray => Amf3Marker.Array,
            AmfObject => Amf3Marker.Object,
            AmfByteArray => Amf3Marker.ByteArray,
            AmfVector<int> => Amf3Marker.VectorInt,
            AmfVector<uint> => Amf3Marker.VectorUInt,
            AmfVector<double> => Amf3Marker.VectorDouble,
            AmfVectorObject => Amf3Marker.VectorObject,
            AmfDictionary => Amf3Marker.Dictionary,
            _ => throw new ArgumentException("unsupported AMF value " + value.GetType().Name, nameof(value)),
        };
        AmfOutput.Byte(output, marker);
        if (UseReferences && _objects.TryGetValue(value, out int reference))
        {
            AmfOutput.U29(output, reference << 1);
            return;
        }
        // Pre-order: the instance takes its index before its members (A6).
        _objects.TryAdd(value, _objectCount);
        _objectCount++;
        WriteInline(output, value, depth);
    }

    /// <summary>The value of an object-table type after its marker, when it is not written as a reference.</summary>
    private void WriteInline(IBufferWriter<byte> output, AmfValue value, int depth)
    {
        switch (value)
        {
            case AmfXml x:
            {
                int byteCount = Encoding.UTF8.GetByteCount(x.Text);
                AmfOutput.U29(output, (byteCount << 1) | 1);
                AmfOutput.Utf8(output, x.Text, byteCount);
                return;
            }
            case AmfDate d:
                AmfOutput.U29(output, 1);
                AmfOutput.Double(output, d.MillisecondsSinceEpoch);
                return;
            case AmfByteArray bytes:
                AmfOutput.U29(output, (bytes.Data.Length << 1) | 1);
                AmfOutput.Bytes(output, bytes.Data);
                return;
            case AmfArray a:
                WriteArrayBody(output, a, depth);
                return;
            case AmfObject o:
                WriteObjectBody(output, o, depth);
                return;
            case AmfVector<int> vi:
                WriteNumbers(output, vi, static (o, item) => AmfOutput.UInt32(o, (uint)item));
                return;
            case AmfVector<uint> vu:
                WriteNumbers(output, vu, AmfOutput.UInt32);
                return;
            case AmfVector<double> vd:
                WriteNumbers(output, vd, AmfOutput.Double);
                return;
            case AmfVectorObject vo:
                WriteVectorHeader(output, vo.Items.Count, vo.IsFixed);
                WriteUtf8Vr(output, vo.TypeName);
                foreach (var item in vo.Items)
                {
                    Write(output, item, depth + 1);
                }
                return;
            case AmfDictionary dict:
                AmfOutput.U29(output, (dict.Entries.Count << 1) | 1);
                AmfOutput.Byte(output, dict.WeakKeys ? (byte)1 : (byte)0);
                foreach (var entry in dict.Entries)
                {
                    Write(output, entry.Key, depth + 1);
                    Write(output, entry.Value, depth + 1);
                }
                return;
        }
    }

    /// <summary>A vector of int, uint or double (AMF3 §3.15): its header, then each number big-endian.</summary>
    private static void WriteNumbers<T>(IBufferWriter<byte> output, AmfVector<T> vector, Action<IBufferWriter<byte>, T> write)
        where T : struct
    {
        WriteVectorHeader(output, vector.Items.Count, vector.IsFixed);
        foreach (var item in vector.Items)
        {
            write(output, item);
        }
    }

    /// <summary>AMF3 §3.11: the dense count, the associative part ended by the empty string, then the dense part.</summary>
    private void WriteArrayBody(IBufferWriter<byte> output, AmfArray a, int depth)
    {
        AmfOutput.U29(output, (a.Dense.Count << 1) | 1);
        foreach (var entry in a.Associative)
        {
            if (entry.Key.Length == 0)
            {
                throw new ArgumentException("AMF3 arrays cannot carry an empty associative key (AMF3 §3.11)", "value");
            }
            WriteUtf8Vr(output, entry.Key);
            Write(output, entry.Value, depth + 1);
        }
        AmfOutput.Byte(output, 0x01);
        foreach (var item in a.Dense)
        {
            Write(output, item, depth + 1);
        }
    }

    /// <summary>AMF3 §3.15: every vector starts with its inline count and the fixed-length flag.</summary>
    private static void WriteVectorHeader(IBufferWriter<byte> output, int count, bool isFixed)
    {
        AmfOutput.U29(output, (count << 1) | 1);
        AmfOutput.Byte(output, isFixed ? (byte)1 : (byte)0);
    }

    private void WriteObjectBody(IBufferWriter<byte> output, AmfObject o, int depth)
    {
        var traits = o.Traits;
        if (UseReferences && _traits.TryGetValue(traits, out int traitsIndex))
        {
            AmfOutput.U29(output, (traitsIndex << 2) | 1);
        }
        else
        {
            _traits.TryAdd(traits, _traitsCount);
            _traitsCount++;
            if (traits.IsExternalizable)
            {
                AmfOutput.U29(output, 0x07);
                WriteUtf8Vr(output, traits.ClassName);
            }
            else
            {
                AmfOutput.U29(output, (traits.SealedNames.Length << 4) | (traits.IsDynamic ? 0x08 : 0) | 0x03);
                WriteUtf8Vr(output, traits.ClassName);
                foreach (var name in traits.SealedNames)
                {
                    WriteUtf8Vr(output, name);
                }
            }
        }
        if (traits.IsExternalizable)
        {
            Write(output, o.ExternalizedBody ?? throw new ArgumentException("externalizable object without a body"), depth + 1);
            return;
        }
        foreach (var v in o.SealedValues)
        {
            Write(output, v, depth + 1);
        }
        if (traits.IsDynamic)
        {
            foreach (var p in o.DynamicProperties)
            {
                if (p.Key.Length == 0)
                {
                    throw new ArgumentException("AMF3 dynamic members cannot be named \"\" (AMF3 §3.12)");
                }
                WriteUtf8Vr(output, p.Key);
                Write(output, p.Value, depth + 1);
            }
            AmfOutput.Byte(output, 0x01);
        }
    }
}
