namespace Rtmfp.Shared.Packets;

/// <summary>Why <see cref="ChunkDispatcher"/> did not hand a chunk to its typed visitor method.</summary>
internal enum ChunkIgnoreReason : byte
{
    /// <summary>A type this implementation does not know: ignored (RFC 7016 §2.3).</summary>
    Unknown = 1,
    /// <summary>Not allowed in the packet's mode: MUST be ignored (RFC 7016 §2.3, §2.2.4).</summary>
    WrongMode,
    /// <summary>A known type whose payload does not parse.</summary>
    Malformed,
}
