namespace Rtmfp.Shared.Amf;

/// <summary>Hard limits applied while decoding peer input. Defaults are safe for RTMP commands and metadata.</summary>
public sealed record AmfLimits
{
    // Declared before Default: static initializers run in textual order.
    public static IReadOnlySet<string> DefaultExternalizables { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "flex.messaging.io.ArrayCollection",
        "flex.messaging.io.ObjectProxy",
    };

    public static AmfLimits Default { get; } = new();

    /// <summary>Maximum container nesting (rtmfp-cpp also bounds recursion).</summary>
    public int MaxDepth { get; init; } = 32;

    /// <summary>Maximum number of values decoded in one message scope (between <see cref="AmfReader.Reset"/> calls).</summary>
    public int MaxElements { get; init; } = 65536;

    /// <summary>Maximum byte length of one string, XML text or key.</summary>
    public int MaxStringLength { get; init; } = 1 << 20;

    /// <summary>Maximum byte length of one AMF3 ByteArray.</summary>
    public int MaxByteArrayLength { get; init; } = 16 << 20;

    /// <summary>Maximum entries in each reference table (AMF0 complex, AMF3 strings/objects/traits).</summary>
    public int MaxReferences { get; init; } = 65535;

    /// <summary>
    /// Externalizable AMF3 classes whose private body is exactly one AMF3 value (Flex wrappers).
    /// Any other externalizable class fails with <see cref="AmfError.UnknownExternalizable"/>.
    /// </summary>
    public IReadOnlySet<string> SingleValueExternalizables { get; init; } = DefaultExternalizables;
}
