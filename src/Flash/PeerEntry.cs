using Rtmfp.Shared.Wire;

namespace Rtmfp.Flash;

/// <summary>
/// What the rendezvous service knows about a connected peer (RFC 7016 §3.5.1.6): its observed address,
/// the addresses it reported with setPeerInfo, the connection and the transport handle that reaches
/// its session (to forward an FIHello).
/// </summary>
internal sealed record PeerEntry(
    PeerId Id,
    Address ObservedAddress,
    Address[] ReportedAddresses,
    IFlashClient Client,
    IFlashApplication? Application,
    object? TransportHandle);
