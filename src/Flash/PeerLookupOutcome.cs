namespace Rtmfp.Flash;

public enum PeerLookupOutcome : byte
{
    /// <summary>Answer the initiator with a Redirect and forward an FIHello to the target.</summary>
    Introduced,
    /// <summary>No such peer connected: ignore the IHello (RFC 7016 §3.5.1.1.2).</summary>
    UnknownPeer,
    /// <summary>The target's application refused the lookup: ignore the IHello.</summary>
    Refused,
}
