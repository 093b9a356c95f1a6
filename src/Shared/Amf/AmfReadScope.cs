using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Rtmfp.Shared.Amf;

/// <summary>
/// What <see cref="Amf0Reader"/> and <see cref="Amf3Reader"/> share within one message scope: the limits,
/// the last error, the element budget and the containers still being decoded (a reference to one of them
/// would form a cycle, rejected, A9). The reference tables belong to each reader.
/// </summary>
internal sealed class AmfReadScope
{
    private readonly List<AmfValue> _open = [];
    private readonly List<int> _openedAt = [];
    // Values each decoded container stands for, itself included: what a reference to it expands to when the
    // value graph is walked or re-encoded without references (AMF0 §4.1, AMF3 §4.1; docs/protocol-notes.md §5).
    private readonly Dictionary<AmfValue, int> _expansion = new(ReferenceEqualityComparer.Instance);
    private int _elements;

    public AmfReadScope(AmfLimits limits) => Limits = limits;

    public AmfLimits Limits { get; }

    public AmfError Error { get; private set; }

    public int ErrorOffset { get; private set; }

    /// <summary>Whether an AVM+ switch (AMF0 §3.1) was read since the last <see cref="Reset"/>.</summary>
    public bool SwitchedToAmf3 { get; set; }

    /// <summary>Clears the element budget, the open containers and the error.</summary>
    public void Reset()
    {
        _open.Clear();
        _openedAt.Clear();
        _expansion.Clear();
        _elements = 0;
        SwitchedToAmf3 = false;
        Error = AmfError.None;
        ErrorOffset = 0;
    }

    /// <summary>Before each top-level value: no container is open, no error yet.</summary>
    public void BeginValue()
    {
        _open.Clear();
        _openedAt.Clear();
        Error = AmfError.None;
    }

    public bool Fail(AmfError error, int at)
    {
        Error = error;
        ErrorOffset = at;
        return false;
    }

    /// <summary>Charges <paramref name="count"/> values (a numeric vector's items) to the element budget.</summary>
    public bool CountElements(int count, int at)
    {
        if (_elements + (long)count > Limits.MaxElements)
        {
            return Fail(AmfError.TooManyElements, at);
        }
        _elements += count;
        return true;
    }

    public bool AddReference<T>(List<T> table, T v, int at)
    {
        if (table.Count >= Limits.MaxReferences)
        {
            return Fail(AmfError.TableFull, at);
        }
        table.Add(v);
        return true;
    }

    /// <summary>Bounds the depth, registers the container in its reference table and marks it open (cycle check).</summary>
    public bool OpenContainer(List<AmfValue> table, AmfValue container, int depth, int start)
    {
        if (depth >= Limits.MaxDepth)
        {
            return Fail(AmfError.DepthExceeded, start);
        }
        if (!AddReference(table, container, start))
        {
            return false;
        }
        MarkOpen(container);
        return true;
    }

    /// <summary>Marks a container open that is already registered (its marker is already counted).</summary>
    public void MarkOpen(AmfValue container)
    {
        _open.Add(container);
        _openedAt.Add(_elements);
    }

    /// <summary>The innermost open container is complete: remembers how many values it stands for.</summary>
    public void CloseContainer()
    {
        int last = _open.Count - 1;
        _expansion[_open[last]] = _elements - _openedAt[last] + 1;
        _open.RemoveAt(last);
        _openedAt.RemoveAt(last);
    }

    /// <summary>Records what a value that is not a container (a numeric vector) stands for.</summary>
    public void RememberExpansion(AmfValue value, int values) => _expansion[value] = values;

    /// <summary>
    /// Charges a reference with what it expands to: a reference to a container of n values costs n values of the
    /// element budget (its own marker is already counted), so values that reference earlier values twice per
    /// level cannot stand for 2^depth values within <see cref="AmfLimits.MaxElements"/>.
    /// </summary>
    public bool ChargeReference(AmfValue target, int at) =>
        !_expansion.TryGetValue(target, out int values) || CountElements(values - 1, at);

    public bool IsOpen(AmfValue v)
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

    /// <summary>Every value starts with a marker byte, and counts against the element bound.</summary>
    public bool ReadMarker(ReadOnlySpan<byte> s, ref int p, out byte marker)
    {
        marker = 0;
        if (p >= s.Length)
        {
            return Fail(AmfError.Truncated, p);
        }
        if (++_elements > Limits.MaxElements)
        {
            return Fail(AmfError.TooManyElements, p);
        }
        marker = s[p++];
        return true;
    }

    /// <summary>One byte, nonzero meaning true: an AMF0 boolean, a vector's fixed flag, a dictionary's weak-keys flag.</summary>
    public bool ReadFlag(ReadOnlySpan<byte> s, ref int p, out bool flag)
    {
        flag = false;
        if (p >= s.Length)
        {
            return Fail(AmfError.Truncated, p);
        }
        flag = s[p++] != 0;
        return true;
    }

    /// <summary><paramref name="length"/> bytes of UTF-8.</summary>
    public bool ReadString(ReadOnlySpan<byte> s, ref int p, long length, [NotNullWhen(true)] out string? value)
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

    /// <summary>A big-endian IEEE 754 double: AMF0 number (AMF0 §2.2), AMF3 double (AMF3 §3.7).</summary>
    public bool ReadNumber(ReadOnlySpan<byte> s, ref int p, [NotNullWhen(true)] out AmfValue? value)
    {
        value = null;
        if (!ReadDouble(s, ref p, 8, out double number))
        {
            return false;
        }
        value = new AmfNumber(number);
        return true;
    }

    /// <summary>A big-endian double opening a field of <paramref name="fieldLength"/> bytes (AMF0 dates carry 2 more).</summary>
    public bool ReadDouble(ReadOnlySpan<byte> s, ref int p, int fieldLength, out double value)
    {
        value = 0;
        if (s.Length - p < fieldLength)
        {
            return Fail(AmfError.Truncated, p);
        }
        value = BinaryPrimitives.ReadDoubleBigEndian(s[p..]);
        p += fieldLength;
        return true;
    }
}
