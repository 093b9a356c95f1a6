using System.Diagnostics.CodeAnalysis;

namespace Rtmfp.Shared.Amf;

/// <summary>
/// What the AMF0 and AMF3 decoders share: every value starts with a marker byte (AMF0 §2.1, AMF3 §3.1), counted
/// against the scope's element limit, and a value that fails is reported at its marker's offset.
/// </summary>
internal abstract class AmfDecoder(AmfReadScope scope)
{
    protected AmfReadScope Scope { get; } = scope;

    public bool ReadValue(ReadOnlySpan<byte> s, ref int p, int depth, [NotNullWhen(true)] out AmfValue? value)
    {
        int start = p;
        if (!Scope.ReadMarker(s, ref p, out byte marker))
        {
            value = null;
            return false;
        }
        return ReadMarkedValue(s, ref p, marker, depth, start, out value);
    }

    /// <summary>The value after its <paramref name="marker"/>, which stands at <paramref name="start"/>.</summary>
    protected abstract bool ReadMarkedValue(ReadOnlySpan<byte> s, ref int p, byte marker, int depth, int start,
        [NotNullWhen(true)] out AmfValue? value);

    /// <summary>One shared instance for the empty string, which every empty name and value would repeat.</summary>
    protected static AmfString StringValue(string text) => text.Length == 0 ? AmfString.Empty : new AmfString(text);
}
