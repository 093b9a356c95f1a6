namespace Rtmfp.Shared.Packets;

/// <summary>Counts from the <see cref="ChunkValidator"/> pass over one plain packet.</summary>
public readonly record struct ChunkSummary(int Valid, int Malformed, int Unknown, int WrongMode)
{
    /// <summary>Chunks other than padding.</summary>
    public int Total => Valid + Malformed + Unknown + WrongMode;

    /// <summary>Nothing in the packet is usable: no chunk parsed and was allowed in the packet's mode.</summary>
    public bool IsEmpty => Valid == 0;
}
