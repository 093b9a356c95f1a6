using Rtmfp.Cluster;
using System.Net;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Gateway.Handshake;

/// <summary>
/// A completed server-side handshake: everything the session actor needs to create the S_OPEN session
/// (RFC 7016 §3.5.1.1.2 step 3) and the RIKeying to send (Default Session Key, session ID
/// <see cref="InitiatorSessionId"/>).
/// </summary>
internal sealed class ResponderHandshakeResult
{
    internal ResponderHandshakeResult(uint responderSessionId, HandshakeJob job, SessionKeyingResult keying, byte[] riKeyingPacket)
    {
        ResponderSessionId = responderSessionId;
        InitiatorSessionId = job.InitiatorSessionId;
        Keying = keying;
        EndpointDiscriminator = job.EndpointDiscriminator;
        Client = job.Client;
        Cookie = job.Cookie;
        InitiatorComponent = job.InitiatorComponent;
        RIKeyingPacket = riKeyingPacket;
    }

    /// <summary>Our receive session ID: CookieJar.SessionIdFor(cookie, probe).</summary>
    public uint ResponderSessionId { get; }

    /// <summary>The far session ID: packets to the client carry it.</summary>
    public uint InitiatorSessionId { get; }

    /// <summary>Session keys, negotiated HMAC/SSEQ, group, and the client's certificate.</summary>
    public SessionKeyingResult Keying { get; }

    /// <summary>The client's peer ID (fingerprint of its certificate, RFC 7425 §4.3.2).</summary>
    public ReadOnlySpan<byte> InitiatorPeerId => Keying.FarPeerId;

    /// <summary>The IHello's EPD (the app URI is its ancillary data, RFC 7425 §4.4.2.2), when cached; else null.</summary>
    public byte[]? EndpointDiscriminator { get; }

    public SocketAddress Client { get; }
    public byte[] Cookie { get; }

    /// <summary>SKIC, to recognise a retransmitted IIKeying.</summary>
    public byte[] InitiatorComponent { get; }

    /// <summary>The plain RIKeying startup packet (0x0B header); resend it unchanged for a retransmitted IIKeying.</summary>
    public byte[] RIKeyingPacket { get; }

    /// <summary>RFC 7016 §3.5.1.1.2 step 2.1: same session ID, cookie, certificate and SKIC as the IIKeying that opened this session.</summary>
    public bool IsRetransmission(ReadOnlySpan<byte> iikeyingPayload) =>
        IIKeyingChunk.TryRead(iikeyingPayload, out var chunk)
        && chunk.InitiatorSessionId == InitiatorSessionId
        && chunk.CookieEcho.SequenceEqual(Cookie)
        && chunk.InitiatorCertificate.SequenceEqual(Keying.FarCertificate.Encoded)
        && chunk.SessionKeyInitiatorComponent.SequenceEqual(InitiatorComponent);
}
