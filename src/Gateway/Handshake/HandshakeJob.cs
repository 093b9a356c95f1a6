using Rtmfp.Cluster;
using System.Net;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Gateway.Handshake;

/// <summary>
/// An IIKeying whose cookie checked out, copied off the receive buffer, waiting for the Diffie-Hellman and key
/// derivation on a worker (<see cref="HandshakeResponder.Complete"/>).
/// </summary>
internal sealed class HandshakeJob
{
    internal HandshakeJob(uint initiatorSessionId, byte[] cookie, byte[] initiatorCertificate, byte[] initiatorComponent,
        SocketAddress client, byte[]? endpointDiscriminator)
    {
        InitiatorSessionId = initiatorSessionId;
        Cookie = cookie;
        InitiatorCertificate = initiatorCertificate;
        InitiatorComponent = initiatorComponent;
        Client = client;
        EndpointDiscriminator = endpointDiscriminator;
    }

    /// <summary>The session ID we send to (the far session ID).</summary>
    public uint InitiatorSessionId { get; }
    public byte[] Cookie { get; }
    public byte[] InitiatorCertificate { get; }

    /// <summary>SKIC.</summary>
    public byte[] InitiatorComponent { get; }
    public SocketAddress Client { get; }

    /// <summary>The IHello's EPD when this gateway still had it cached; null otherwise (best effort).</summary>
    public byte[]? EndpointDiscriminator { get; }

    /// <summary>Which <see cref="CookieJar.SessionIdFor"/> probe gives the responder session ID (the host raises it on a collision).</summary>
    public int Probe { get; set; }

    /// <summary>The endpoint its IIKeying (last) arrived on: the RIKeying leaves from it, as the RHello did.</summary>
    public Transport.UdpEndpoint? Arrival { get; set; }

    /// <summary>When the IIKeying was accepted (<see cref="System.Diagnostics.Stopwatch"/> timestamp), for rtmfp.handshake.duration.</summary>
    public long Started { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>The handshake's span while it is being keyed and opened; null when nothing traces.</summary>
    public System.Diagnostics.Activity? Trace { get; set; }
}
