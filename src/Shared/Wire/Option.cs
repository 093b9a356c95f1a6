namespace Rtmfp.Shared.Wire;

/// <summary>One option of an option list (RFC 7016 §2.1.3). <see cref="IsMarker"/> is the zero-length terminator.</summary>
public readonly ref struct Option
{
    public Option(ulong type, ReadOnlySpan<byte> value)
    {
        Type = type;
        Value = value;
        IsMarker = false;
    }

    public ulong Type { get; }
    public ReadOnlySpan<byte> Value { get; }
    public bool IsMarker { get; private init; }

    public static Option Marker => new(0, default) { IsMarker = true };
}

/// <summary>Reading and writing options, markers and option lists (RFC 7016 §2.1.3).</summary>
public static class OptionCodec
{
    /// <summary>Reads one option or marker. Rejects truncation and lengths that overrun the container.</summary>
    public static bool TryRead(scoped ref WireReader reader, out Option option)
    {
        var save = reader;
        if (!reader.TryReadVlu(out ulong length))
        {
            option = default;
            return false;
        }
        if (length == 0)
        {
            option = Option.Marker;
            return true;
        }
        if (length > (ulong)reader.Remaining || !reader.TryReadBytes((int)length, out var body))
        {
            reader = save;
            option = default;
            return false;
        }
        if (!Vlu.TryRead(body, out ulong type, out int typeLen))
        {
            reader = save;
            option = default;
            return false;
        }
        option = new Option(type, body[typeLen..]);
        return true;
    }

    /// <summary>Size on the wire of an option with the given type and value length.</summary>
    public static int GetLength(ulong type, int valueLength)
    {
        int body = Vlu.GetLength(type) + valueLength;
        return Vlu.GetPrefixedLength(body);
    }

    public static void Write(ref WireWriter writer, ulong type, scoped ReadOnlySpan<byte> value)
    {
        writer.WriteVlu((ulong)(Vlu.GetLength(type) + value.Length));
        writer.WriteVlu(type);
        writer.WriteBytes(value);
    }

    /// <summary>An option whose value is a single VLU (common in RFC 7425 components).</summary>
    public static void WriteVluOption(ref WireWriter writer, ulong type, ulong value)
    {
        writer.WriteVlu((ulong)(Vlu.GetLength(type) + Vlu.GetLength(value)));
        writer.WriteVlu(type);
        writer.WriteVlu(value);
    }

    public static int GetVluOptionLength(ulong type, ulong value) => GetLength(type, Vlu.GetLength(value));

    public static void WriteMarker(ref WireWriter writer) => writer.WriteByte(0);
}

/// <summary>
/// Iterates an option list up to and including its marker: <c>while (list.TryReadNext(out var o)) …</c>,
/// then <see cref="Completed"/> tells whether the marker was reached (false = malformed or truncated).
/// </summary>
internal ref struct OptionListReader
{
    private WireReader _reader;

    public OptionListReader(ReadOnlySpan<byte> source)
    {
        _reader = new WireReader(source);
        Completed = false;
        Failed = false;
    }

    /// <summary>The terminating marker was read.</summary>
    public bool Completed { get; private set; }

    /// <summary>The list was malformed (truncated or an option overran its container).</summary>
    public bool Failed { get; private set; }

    /// <summary>Bytes consumed, including the marker once <see cref="Completed"/>.</summary>
    public readonly int Consumed => _reader.Position;

    public bool TryReadNext(out Option option)
    {
        option = default;
        if (Completed || Failed)
        {
            return false;
        }
        if (!OptionCodec.TryRead(ref _reader, out option))
        {
            Failed = true;
            return false;
        }
        if (option.IsMarker)
        {
            Completed = true;
            return false;
        }
        return true;
    }
}
