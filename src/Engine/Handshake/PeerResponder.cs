using System.Diagnostics.CodeAnalysis;
using System.Net;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine.Handshake;

/// <summary>
/// The responder side of the handshake for an endpoint that is not a server cluster, e.g. a client that
/// peers accept sessions from (RFC 7016 §3.5.1.1.2): IHello and FIHello → RHello with a stateless cookie,
/// IIKeying → RIKeying, with Cookie Change (§3.5.1.2), glare (§3.5.1.3, RFC 7425 §4.3.6) and session
/// override (RFC 7425 §4.3.7). Keeps no per-initiator state; thread-safe if the lookup is.
/// </summary>
public sealed class PeerResponder
{
    private readonly FlashCryptoProfile _profile;
    private readonly CookieJar _cookies;

    /// <param name="cookieSecret">Cookie key; null for a random one (cookies then die with this object).</param>
    public PeerResponder(FlashCryptoProfile profile, ReadOnlySpan<byte> cookieSecret = default)
    {
        _profile = profile;
        // RFC 7016 §3.5.1.1.2: a cookie lives at least the 95 s ultimate open timeout (here one to two slots).
        _cookies = new CookieJar(cookieSecret.IsEmpty ? CookieJar.NewSecret() : cookieSecret,
            TimeSpan.FromMilliseconds(HandshakeTimings.UltimateOpenTimeoutMs));
    }

    public FlashCryptoProfile Profile => _profile;

    /// <summary>IHello whose EPD selects us → RHello to its source, session ID 0. False (ignore) otherwise.</summary>
    public bool TryAnswerIHello(ReadOnlySpan<byte> payload, SocketAddress from, long nowMs, [NotNullWhen(true)] out OutgoingStartupPacket? rhello)
    {
        rhello = null;
        if (!IHelloChunk.TryRead(payload, out var ihello) || !_profile.IsSelectedBy(ihello.EndpointDiscriminator))
        {
            return false;
        }
        rhello = MakeRHello(ihello.Tag, SocketAddresses.Copy(from), nowMs);
        return true;
    }

    /// <summary>
    /// FIHello (RFC 7016 §3.5.1.5, received over a session with a Forwarder) whose EPD selects us → RHello to
    /// the reply address as though the IHello came from there; it also opens our NAT toward the initiator.
    /// </summary>
    public bool TryAnswerFIHello(ReadOnlySpan<byte> payload, long nowMs, [NotNullWhen(true)] out OutgoingStartupPacket? rhello)
    {
        rhello = null;
        if (!FIHelloChunk.TryRead(payload, out var fihello) || fihello.ReplyAddress.Port == 0
            || !_profile.IsSelectedBy(fihello.EndpointDiscriminator))
        {
            return false;
        }
        rhello = MakeRHello(fihello.Tag, fihello.ReplyAddress.UnmapIPv4().ToSocketAddress(), nowMs);
        return true;
    }

    /// <summary>
    /// RFC 7016 §3.5.1.1.2 for an IIKeying from <paramref name="from"/>. <paramref name="newSessionId"/> is the
    /// unique receive session ID the host reserves for the session if it opens. Runs Diffie-Hellman: call
    /// it off any latency-sensitive loop.
    /// </summary>
    public IIKeyingOutcome OnIIKeying(ReadOnlySpan<byte> payload, SocketAddress from, long nowMs, uint newSessionId, IHandshakeSessionLookup sessions)
    {
        if (newSessionId == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(newSessionId));
        }
        if (!IIKeyingChunk.TryRead(payload, out var iikeying))
        {
            return IIKeyingOutcome.Ignored;
        }
        switch (_cookies.Check(iikeying.CookieEcho, from, nowMs))
        {
            case CookieCheck.Bad:
                return IIKeyingOutcome.Ignored;
            case CookieCheck.Mismatch:
                byte[] newCookie = new byte[CookieJar.CookieLength];
                _cookies.Rebind(iikeying.CookieEcho, from, nowMs, newCookie);
                var change = StartupPacketWriter.CookieChange(nowMs, iikeying.CookieEcho, newCookie);
                return new IIKeyingOutcome(IIKeyingDisposition.CookieChange,
                    new OutgoingStartupPacket(SocketAddresses.Copy(from), iikeying.InitiatorSessionId, change));
        }
        if (iikeying.InitiatorSessionId == 0 || !FlashCertificate.TryParse(iikeying.InitiatorCertificate, out var far))
        {
            return IIKeyingOutcome.Ignored;
        }

        // 1. Glare (§3.5.1.3): an IIKeying from a destination of one of our opening sessions.
        InitiatorHandshake? abortOpening = null;
        var opening = sessions.FindOpeningTo(from);
        if (opening is not null)
        {
            if (_profile.NearPrevailsInGlare(far.Encoded))
            {
                return IIKeyingOutcome.NearPrevails;
            }
            // The far end prevails; abort ours only if this certificate overrides its (known) responder certificate.
            if (opening.ResponderCertificate is { } openingCert && far.Overrides(openingCert))
            {
                abortOpening = opening;
            }
        }

        // 2. An S_OPEN session at this address: retransmission, or override (RFC 7425 §4.3.7), or ignore.
        HandshakeResult? stale = null;
        var open = sessions.FindOpenAt(from);
        if (open is not null)
        {
            if (open.IsRetransmittedIIKeying(iikeying.InitiatorSessionId, iikeying.InitiatorCertificate, iikeying.SessionKeyInitiatorComponent)
                && open.RIKeying is not null)
            {
                return new IIKeyingOutcome(IIKeyingDisposition.RetransmitRIKeying, open.RIKeying);
            }
            if (!far.Overrides(open.FarCertificate))
            {
                return IIKeyingOutcome.Ignored;
            }
            stale = open;
        }

        // 3. Keying and RIKeying; the signature we send is "X" and we require none (RFC 7425 §4.3.5).
        if (!_profile.TryRespond(iikeying.InitiatorCertificate, iikeying.SessionKeyInitiatorComponent, out var keying))
        {
            return IIKeyingOutcome.Ignored;
        }
        var address = SocketAddresses.Copy(from);
        var rikeying = new OutgoingStartupPacket(address, iikeying.InitiatorSessionId,
            StartupPacketWriter.RIKeying(nowMs, newSessionId, keying.NearComponent, FlashCryptoProfile.EmptySignature));
        var result = new HandshakeResult(SessionRole.Responder, newSessionId, iikeying.InitiatorSessionId, address, keying,
            endpointDiscriminator: null, iikeying.SessionKeyInitiatorComponent.ToArray(), rikeying);
        return new IIKeyingOutcome(IIKeyingDisposition.Opened, rikeying, result, stale, abortOpening);
    }

    private OutgoingStartupPacket MakeRHello(ReadOnlySpan<byte> tag, SocketAddress to, long nowMs)
    {
        Span<byte> cookie = stackalloc byte[CookieJar.CookieLength];
        _cookies.Create(tag, to, nowMs, cookie);
        return new OutgoingStartupPacket(to, 0, StartupPacketWriter.RHello(nowMs, tag, cookie, _profile.Certificate.Encoded));
    }
}
