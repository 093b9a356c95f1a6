namespace Rtmfp.Shared.Wire;

/// <summary>An inclusive range of flow sequence numbers [Start, End], as acknowledged by Data Acknowledgement chunks.</summary>
public readonly record struct SequenceRange(ulong Start, ulong End)
{
    public bool Contains(ulong sequenceNumber) => sequenceNumber >= Start && sequenceNumber <= End;
}
