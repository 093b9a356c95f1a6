namespace Rtmfp.Engine;

/// <summary>An inclusive range of flow sequence numbers.</summary>
public readonly record struct SequenceRange(ulong Start, ulong End)
{
    public ulong Count => End - Start + 1;
}
