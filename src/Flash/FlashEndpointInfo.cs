using Rtmfp.Shared.Wire;

namespace Rtmfp.Flash;

/// <summary>
/// What the transport knows about the client when the connection starts.
/// </summary>
/// <param name="ConnectionId">Unique per node; names the connection in stream ownership and logs.</param>
/// <param name="ObservedAddress">The session's far address as seen by the server (RFC 7425 §5.3.3).</param>
/// <param name="EndpointUri">The URI from the EPD's Ancillary Data option (RFC 7425 §4.4.2.2), if any.</param>
/// <param name="PeerId">The client's fingerprint (RFC 7425 §4.3.2); none for RTMP over TCP.</param>
/// <param name="TransportHandle">Opaque to this layer; kept in the <see cref="PeerDirectory"/> so a gateway can reach the session (FIHello).</param>
public sealed record FlashEndpointInfo(
    long ConnectionId,
    Address ObservedAddress,
    string? EndpointUri = null,
    PeerId? PeerId = null,
    object? TransportHandle = null);
