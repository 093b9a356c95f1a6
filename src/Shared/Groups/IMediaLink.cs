namespace Rtmfp.Shared.Groups;

/// <summary>
/// How one group stream's logic reaches one neighbour (docs/groups.md §6.5): our media report flow for the stream
/// (media infos, maps, push and pull) and our media data flow in return to the neighbour's media report flow. The
/// sockets behind it are the member's business; tests link streams in memory.
/// </summary>
public interface IMediaLink
{
    /// <summary>The neighbour's peer ID, hex.</summary>
    string PeerId { get; }

    /// <summary>Sends on our media report flow for this stream (opened on first use).</summary>
    void SendReport(byte[] message);

    /// <summary>
    /// Sends a fragment on our media data flow (shared array, never modified). False when it cannot go yet: the
    /// neighbour has not subscribed (its media infos, which name the flow ours answers, did not come).
    /// </summary>
    bool SendData(byte[] message);
}
