namespace Rtmfp.Client.Peer;

/// <summary>How an <see cref="RtmfpPeer"/> connects to its server and treats peers.</summary>
public sealed record RtmfpPeerOptions
{
    /// <summary>Options of the server connection; direct sessions reuse them with the same identity.</summary>
    public RtmfpClientOptions Client { get; init; } = new();

    /// <summary>Give up a <see cref="RtmfpPeer.ConnectToPeerAsync(ReadOnlyMemory{byte}, CancellationToken)"/> after this long.</summary>
    public TimeSpan PeerConnectTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Asked with the initiator's peer ID when a peer's keying succeeds; false refuses the session (we stay
    /// silent and the initiator times out). Null accepts everyone. Runs on the event loop: keep it quick.
    /// </summary>
    public Func<ReadOnlyMemory<byte>, bool>? AcceptPeer { get; init; }
}
