using Rtmfp.Cluster;
namespace Rtmfp.Sessions.Rtmfp;

/// <summary>Tunables of <see cref="RtmfpFlashAdapter"/>.</summary>
internal sealed record RtmfpFlashAdapterOptions
{
    public static RtmfpFlashAdapterOptions Default { get; } = new();

    /// <summary>A stream's send flow holding this many unacknowledged fragments refuses more (back-pressure).</summary>
    public int HighWaterFragments { get; init; } = 256;

    /// <summary>
    /// Control messages (command answers, status) are never refused, but a flow holding this many unacknowledged
    /// fragments closes the connection: the client reads nothing of what it asks for.
    /// </summary>
    public int ControlHighWaterFragments { get; init; } = 1024;

    /// <summary>A refusing flow is ready again once its queue has drained to this many fragments.</summary>
    public int LowWaterFragments { get; init; } = 64;

    /// <summary>Receive buffer of each accepted flow; Flash video keyframes are single messages far above the 64 KiB default.</summary>
    public long ReceiveBufferCapacity { get; init; } = 1 << 20;

    /// <summary>After an orderly NetConnection close the session itself is closed this much later, if the client has not.</summary>
    public long OrderlyCloseGraceMs { get; init; } = 10_000;

    /// <summary>Bytes held on a flow waiting for a Flow Sync to complete (RFC 7425 §5.2); beyond it the barrier is given up.</summary>
    public long MaxHeldSyncBytes { get; init; } = 4 << 20;

    /// <summary>Flow Syncs naming more flows than this are ignored (a session has no reason to synchronize more).</summary>
    public uint MaxSyncCount { get; init; } = 64;
}
