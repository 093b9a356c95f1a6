namespace Rtmfp.Shared.Wire;

/// <summary>Iterates concatenated <see cref="Address"/> encodings (e.g. Redirect destinations); stops at the first malformed one. Usable with <c>foreach</c>.</summary>
public ref struct AddressListReader
{
    private ReadOnlySpan<byte> _rest;

    public AddressListReader(ReadOnlySpan<byte> addresses)
    {
        _rest = addresses;
        Current = default;
    }

    public Address Current { get; private set; }

    public readonly AddressListReader GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_rest.IsEmpty || !Address.TryRead(_rest, out var a, out int consumed))
        {
            _rest = default;
            return false;
        }
        Current = a;
        _rest = _rest[consumed..];
        return true;
    }
}
