namespace Rtmfp.Shared.Wire;

/// <summary>RFC 7016 §2.2.4: packet timestamps are the low 16 bits of a 250 Hz (4 ms per tick) clock.</summary>
public static class Timestamp
{
    public const int TickMilliseconds = 4;

    /// <summary>The 16-bit send timestamp for a monotonic time in milliseconds.</summary>
    public static ushort FromMilliseconds(long nowMs) => (ushort)((ulong)nowMs / TickMilliseconds);
}
