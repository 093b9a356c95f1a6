using System.Net;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Engine.Handshake;

/// <summary>
/// A session that reached S_OPEN through the handshake (RFC 7016 §3.5.1.1): what the established-session
/// engine needs. Session packets are sent with <see cref="FarSessionId"/> and arrive with
/// <see cref="NearSessionId"/>, encrypted with <see cref="CreateCryptoContext"/>.
/// </summary>
public sealed class HandshakeResult
{
    private readonly byte[]? _endpointDiscriminator;
    private readonly byte[] _initiatorComponent;

    internal HandshakeResult(SessionRole role, uint nearSessionId, uint farSessionId, SocketAddress farAddress,
        SessionKeyingResult keying, byte[]? endpointDiscriminator, byte[] initiatorComponent, OutgoingStartupPacket? riKeying)
    {
        Role = role;
        NearSessionId = nearSessionId;
        FarSessionId = farSessionId;
        FarAddress = farAddress;
        Keying = keying;
        _endpointDiscriminator = endpointDiscriminator;
        _initiatorComponent = initiatorComponent;
        RIKeying = riKeying;
    }

    public SessionRole Role { get; }

    /// <summary>Our receive session ID (the far end sends with it).</summary>
    public uint NearSessionId { get; }

    /// <summary>The far end's receive session ID: we send with it.</summary>
    public uint FarSessionId { get; }

    /// <summary>DESTADDR: the RHello source (initiator) or the IIKeying source (responder).</summary>
    public SocketAddress FarAddress { get; }

    /// <summary>Keys, negotiated HMAC/SSEQ, group and the far certificate.</summary>
    public SessionKeyingResult Keying { get; }

    public FlashCertificate FarCertificate => Keying.FarCertificate;

    /// <summary>The far peer ID: fingerprint of its certificate (RFC 7425 §4.3.2).</summary>
    public ReadOnlySpan<byte> FarPeerId => Keying.FarPeerId;

    /// <summary>Initiator: the EPD the session was opened for. Responder: empty (the IIKeying carries none).</summary>
    public ReadOnlySpan<byte> EndpointDiscriminator => _endpointDiscriminator;

    /// <summary>The SKIC of the handshake, kept to recognise a retransmitted IIKeying (RFC 7016 §3.5.1.1.2).</summary>
    public ReadOnlySpan<byte> InitiatorComponent => _initiatorComponent;

    /// <summary>Responder only: the RIKeying we sent, to resend on a retransmitted IIKeying.</summary>
    public OutgoingStartupPacket? RIKeying { get; }

    /// <summary>A fresh packet context for the session keys.</summary>
    public SessionCryptoContext CreateCryptoContext() => Keying.CreateCryptoContext();

    /// <summary>RFC 7016 §3.5.1.1.2 step 2.1: same session ID, certificate and SKIC as the IIKeying that opened this session.</summary>
    public bool IsRetransmittedIIKeying(uint initiatorSessionId, ReadOnlySpan<byte> certificate, ReadOnlySpan<byte> initiatorComponent) =>
        Role == SessionRole.Responder && initiatorSessionId == FarSessionId
        && certificate.SequenceEqual(FarCertificate.Encoded) && initiatorComponent.SequenceEqual(_initiatorComponent);
}
