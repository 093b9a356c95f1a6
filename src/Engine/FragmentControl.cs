namespace Rtmfp.Engine;

/// <summary>User Data fragment control values FRA (RFC 7016 §2.3.11).</summary>
internal static class FragmentControl
{
    public const byte Whole = 0;
    public const byte Begin = 1;
    public const byte End = 2;
    public const byte Middle = 3;
}
