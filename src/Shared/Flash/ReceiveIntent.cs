namespace Rtmfp.Shared.Flash;

/// <summary>RXI flag of the TC metadata (RFC 7425 §5.1.1).</summary>
public enum ReceiveIntent : byte
{
    /// <summary>Take delivery in original queuing order (what Flash sets).</summary>
    OriginalQueuingOrder = 0,
    /// <summary>Take delivery as messages arrive (e.g. live audio).</summary>
    NetworkArrivalOrder = 1,
}
