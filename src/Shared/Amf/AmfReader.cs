using System.Diagnostics.CodeAnalysis;

namespace Rtmfp.Shared.Amf;

/// <summary>
/// Non-throwing AMF0/AMF3 decoder. One instance keeps the reference tables of one message scope
/// (AMF0 §4.1, AMF3 §4.1: for RTMP, one message payload); call <see cref="Reset"/> between
/// messages. The AMF3 tables persist across every AVM+ switch of the scope, as Mona and librtmfp
/// write them (docs/protocol-notes.md §5). Not thread-safe; reuse it to reuse its tables.
/// The decoding itself is in <see cref="Amf0Reader"/> and <see cref="Amf3Reader"/>, which share one <see cref="AmfReadScope"/>.
/// </summary>
public sealed class AmfReader
{
    private readonly AmfReadScope _scope;
    private readonly Amf3Reader _amf3;
    private readonly Amf0Reader _amf0;

    public AmfReader(AmfLimits? limits = null)
    {
        _scope = new AmfReadScope(limits ?? AmfLimits.Default);
        _amf3 = new Amf3Reader(_scope);
        _amf0 = new Amf0Reader(_scope, _amf3);
    }

    public AmfLimits Limits => _scope.Limits;

    /// <summary>Why the last read failed (<see cref="AmfError.None"/> after a success). After a failure the tables may hold partial entries: <see cref="Reset"/> before reading another message.</summary>
    public AmfError Error => _scope.Error;

    /// <summary>Offset in the source where the last failure was detected.</summary>
    public int ErrorOffset => _scope.ErrorOffset;

    /// <summary>Whether the current message scope held an AVM+ switch (AMF0 §3.1), i.e. any AMF3 value.</summary>
    public bool SwitchedToAmf3 => _scope.SwitchedToAmf3;

    /// <summary>Starts a new message scope: clears all reference tables and the element budget.</summary>
    public void Reset()
    {
        _amf0.Reset();
        _amf3.Reset();
        _scope.Reset();
    }

    /// <summary>Reads one AMF0 value at <paramref name="offset"/>; on failure the offset does not move.</summary>
    public bool TryReadAmf0(ReadOnlySpan<byte> source, ref int offset, [NotNullWhen(true)] out AmfValue? value) =>
        TryRead(amf3: false, source, ref offset, out value);

    /// <summary>Reads one AMF3 value at <paramref name="offset"/>; on failure the offset does not move.</summary>
    public bool TryReadAmf3(ReadOnlySpan<byte> source, ref int offset, [NotNullWhen(true)] out AmfValue? value) =>
        TryRead(amf3: true, source, ref offset, out value);

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

    private bool TryRead(bool amf3, ReadOnlySpan<byte> source, ref int offset, [NotNullWhen(true)] out AmfValue? value)
    {
        int p = offset;
        _scope.BeginValue();
        if (!(amf3 ? _amf3.ReadValue(source, ref p, 0, out value) : _amf0.ReadValue(source, ref p, 0, out value)))
        {
            value = null;
            return false;
        }
        offset = p;
        return true;
    }
}
