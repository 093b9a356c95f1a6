namespace Rtmfp.Shared.Amf;

/// <summary>
/// AMF3 traits (AMF3 §3.12): class name, sealed member names, dynamic and externalizable flags.
/// Objects sharing one instance are written with a traits reference by <see cref="Amf3Writer"/>.
/// </summary>
public sealed class AmfTraits
{
    /// <summary>Anonymous dynamic traits with no sealed members: what Flash sends for a plain Object (<c>0a 0b 01</c>).</summary>
    public static readonly AmfTraits Anonymous = new(string.Empty, [], isDynamic: true);

    public AmfTraits(string className, string[] sealedNames, bool isDynamic, bool isExternalizable = false)
    {
        ClassName = className ?? throw new ArgumentNullException(nameof(className));
        SealedNames = sealedNames ?? throw new ArgumentNullException(nameof(sealedNames));
        IsDynamic = isDynamic;
        IsExternalizable = isExternalizable;
        if (isExternalizable && (sealedNames.Length != 0 || isDynamic))
        {
            throw new ArgumentException("externalizable traits carry no members", nameof(isExternalizable));
        }
    }

    /// <summary>"" for anonymous objects.</summary>
    public string ClassName { get; }
    public string[] SealedNames { get; }
    public bool IsDynamic { get; }
    public bool IsExternalizable { get; }

    /// <summary>Anonymous dynamic traits (no class name, no sealed members).</summary>
    public bool IsPlainAnonymous => ClassName.Length == 0 && SealedNames.Length == 0 && IsDynamic && !IsExternalizable;

    /// <summary>Typed-object traits as AMF0 §2.18 implies them: a class name and dynamic members only.</summary>
    public static AmfTraits Typed(string className) =>
        className.Length == 0 ? Anonymous : new AmfTraits(className, [], isDynamic: true);
}
