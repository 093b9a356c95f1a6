using Rtmfp.Cluster;
namespace Rtmfp.Gateway.Handshake;

/// <summary>
/// An IHello for another peer (EPD with a 32-byte fingerprint that is not ours, docs/protocol-notes.md §4): the Flash layer
/// answers with a Responder Redirect echoing <see cref="Tag"/> and forwards an FIHello to the target.
/// Views into the received datagram: copy what is kept.
/// </summary>
internal readonly ref struct RendezvousLookup
{
    public RendezvousLookup(ReadOnlySpan<byte> targetPeerId, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> endpointDiscriminator)
    {
        TargetPeerId = targetPeerId;
        Tag = tag;
        EndpointDiscriminator = endpointDiscriminator;
    }

    public ReadOnlySpan<byte> TargetPeerId { get; }
    public ReadOnlySpan<byte> Tag { get; }
    public ReadOnlySpan<byte> EndpointDiscriminator { get; }
}
