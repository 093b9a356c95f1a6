namespace Rtmfp.Shared.Amf;

/// <summary>Kinds of values the AMF0 and AMF3 codecs carry (AMF0 §2, AMF3 §3).</summary>
public enum AmfType : byte
{
    Undefined,
    Null,
    Boolean,
    /// <summary>IEEE-754 double (AMF0 number, AMF3 double).</summary>
    Number,
    /// <summary>AMF3 29-bit signed integer (AMF3 §3.6); AMF0 writes it as a number.</summary>
    Integer,
    String,
    Date,
    /// <summary>XMLDocument (AMF0 0x0F, AMF3 0x07) or E4X XML (AMF3 0x0B).</summary>
    Xml,
    /// <summary>AMF0 strict/ECMA array, AMF3 array (dense + associative parts).</summary>
    Array,
    Object,
    ByteArray,
    VectorInt,
    VectorUInt,
    VectorDouble,
    VectorObject,
    Dictionary,
}
