namespace Rtmfp.Shared.Amf;

/// <summary>Why an AMF decode failed. Peer input never throws; readers report one of these.</summary>
public enum AmfError : byte
{
    None,
    /// <summary>The input ended inside a value.</summary>
    Truncated,
    /// <summary>A type marker that is not defined (or reserved, such as AMF0 movieclip 0x04 / recordset 0x0E).</summary>
    UnknownMarker,
    /// <summary>Nesting deeper than <see cref="AmfLimits.MaxDepth"/>.</summary>
    DepthExceeded,
    /// <summary>More values in one message scope than <see cref="AmfLimits.MaxElements"/>, or a count larger than the remaining bytes can hold.</summary>
    TooManyElements,
    /// <summary>A string, XML or byte array longer than the configured limit.</summary>
    TooLong,
    /// <summary>A reference index outside its table.</summary>
    BadReference,
    /// <summary>A reference to a container that is still being decoded (cycles are rejected; AMF spec allows them).</summary>
    CyclicReference,
    /// <summary>A reference table grew past <see cref="AmfLimits.MaxReferences"/>.</summary>
    TableFull,
    /// <summary>An externalizable AMF3 object whose class has no known body layout (AMF3 §3.12).</summary>
    UnknownExternalizable,
    /// <summary>A U29 that does not fit, or another value out of its defined range.</summary>
    OutOfRange,
    /// <summary>Structure broken, e.g. an AMF0 object-end marker outside an object.</summary>
    Malformed,
}
