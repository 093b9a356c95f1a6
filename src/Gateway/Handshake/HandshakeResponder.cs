using Rtmfp.Cluster;
using System.Net;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Gateway.Handshake;

/// <summary>
/// The gateway's stateless handshake front (RFC 7016 §3.5.1.1.2) for decrypted startup chunks:
/// IHello → RHello with a <see cref="CookieJar"/> cookie (no allocation: it must survive IHello floods),
/// IIKeying → cookie check → RHello Cookie Change for a cookie made for another address (§3.5.1.2), or a
/// <see cref="HandshakeJob"/> whose Diffie-Hellman runs on a worker (<see cref="Complete"/>, e.g. through
/// <see cref="HandshakeWorkerPool"/>). Thread-safe.
/// </summary>
internal sealed class HandshakeResponder
{
    private readonly FlashCryptoProfile _profile;
    private readonly CookieJar _cookies;
    private readonly EndpointDiscriminatorCache? _epds;
    private readonly Func<long> _unixMs;

    /// <param name="unixMs">The cookies' clock: Unix time, so that every gateway of a cluster checks every other's cookies.</param>
    public HandshakeResponder(FlashCryptoProfile serverProfile, CookieJar cookies, EndpointDiscriminatorCache? epdCache = null, Func<long>? unixMs = null)
    {
        _profile = serverProfile;
        _cookies = cookies;
        _epds = epdCache;
        _unixMs = unixMs ?? (static () => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    public FlashCryptoProfile Profile => _profile;
    public CookieJar Cookies => _cookies;

    /// <summary>
    /// Peer identities this node answers for besides its own (server members seeding groups, docs/groups.md §7): an
    /// IHello whose EPD is one's fingerprint gets an RHello with its certificate, and the IIKeying that follows is keyed
    /// with it (found again through the EPD remembered under the cookie).
    /// </summary>
    public IReadOnlyList<FlashCryptoProfile> MemberProfiles { get; init; } = [];

    /// <summary>The member identity an EPD selects, or null (a few at most: a linear scan).</summary>
    private FlashCryptoProfile? MemberSelectedBy(in EndpointDiscriminator epd)
    {
        if (!epd.HasFingerprint)
        {
            return null;
        }
        foreach (var member in MemberProfiles)
        {
            if (epd.Selects(member.Certificate))
            {
                return member;
            }
        }
        return null;
    }

    /// <summary>Size of the plain RHello for a tag of <paramref name="tagLength"/> bytes (16 for Flash).</summary>
    public int GetRHelloLength(int tagLength) =>
        StartupPacket.HeaderLength + PacketLimits.ChunkHeaderLength + Vlu.GetPrefixedLength(tagLength)
        + Vlu.GetPrefixedLength(CookieJar.CookieLength) + _profile.Certificate.Encoded.Length;

    /// <summary>
    /// Handles an IHello chunk payload from <paramref name="client"/>. When the EPD selects us (a URI — any
    /// ancillary data, e.g. librtmfp's bare "live" — or our own fingerprint) writes the plain RHello packet
    /// into <paramref name="destination"/> (send it with session ID 0 under the default key). An EPD naming
    /// another peer ID yields a <see cref="RendezvousLookup"/>. Allocation-free.
    /// </summary>
    public IHelloDisposition OnIHello(ReadOnlySpan<byte> payload, SocketAddress client, long nowMs, Span<byte> destination,
        out int written, out RendezvousLookup lookup)
    {
        written = 0;
        lookup = default;
        if (!IHelloChunk.TryRead(payload, out var ihello) || ihello.Tag.IsEmpty
            || !EndpointDiscriminator.TryParse(ihello.EndpointDiscriminator, out var epd))
        {
            return IHelloDisposition.Ignored;
        }
        var certificate = _profile.Certificate;
        if (MemberSelectedBy(epd) is { } member)
        {
            certificate = member.Certificate;
        }
        else if (!epd.Selects(_profile.Certificate))
        {
            if (epd.HasFingerprint && epd.Fingerprint.Length == FlashCertificate.FingerprintLength)
            {
                lookup = new RendezvousLookup(epd.Fingerprint, ihello.Tag, ihello.EndpointDiscriminator);
                return IHelloDisposition.RendezvousLookup;
            }
            return IHelloDisposition.Ignored;
        }
        if (destination.Length < GetRHelloLength(ihello.Tag.Length) - _profile.Certificate.Encoded.Length + certificate.Encoded.Length)
        {
            return IHelloDisposition.Ignored; // a tag too big for the caller's buffer: not a real client
        }
        Span<byte> cookie = stackalloc byte[CookieJar.CookieLength];
        _cookies.Create(ihello.Tag, client, _unixMs(), cookie);
        _epds?.Store(cookie, ihello.EndpointDiscriminator);
        written = StartupPacketWriter.WriteRHello(destination, nowMs, ihello.Tag, cookie, certificate.Encoded);
        return IHelloDisposition.RHello;
    }

    /// <summary>
    /// Cheap checks of an IIKeying from <paramref name="client"/> (no public-key work), in the order of RFC 7016
    /// §3.5.1.1.2: parse; a cookie that is not ours or has expired is ignored; an authentic cookie made for another
    /// address gets an RHello Cookie Change (§3.5.1.2), written into <paramref name="reply"/> (send it under the
    /// default key to <see cref="CookieChangeReply.SessionId"/>); a valid cookie (this slot or the previous one) with a
    /// parsable certificate and SKIC produces a job.
    /// </summary>
    /// <param name="nowMs">The sender's clock for the Cookie Change's timestamp.</param>
    /// <param name="reply">Room for a Cookie Change (<see cref="CookieChangeReply.MaxLength"/> bytes).</param>
    public IIKeyingCheck OnIIKeying(ReadOnlySpan<byte> payload, SocketAddress client, long nowMs, Span<byte> reply,
        out CookieChangeReply cookieChange, out HandshakeJob? job)
    {
        job = null;
        cookieChange = default;
        if (!IIKeyingChunk.TryRead(payload, out var iikeying) || iikeying.InitiatorSessionId == 0)
        {
            return IIKeyingCheck.Malformed;
        }
        long unixMs = _unixMs();
        switch (_cookies.Check(iikeying.CookieEcho, client, unixMs))
        {
            case CookieCheck.Bad:
                return IIKeyingCheck.BadCookie;
            case CookieCheck.Mismatch:
                cookieChange = WriteCookieChange(iikeying.InitiatorSessionId, iikeying.CookieEcho, client, nowMs, unixMs, reply);
                return IIKeyingCheck.CookieChange;
        }
        if (!SessionKeyingComponent.TryParse(iikeying.SessionKeyInitiatorComponent, out _)
            || !FlashCertificate.TryParse(iikeying.InitiatorCertificate, out _))
        {
            return IIKeyingCheck.Malformed;
        }
        byte[] cookie = iikeying.CookieEcho.ToArray();
        job = new HandshakeJob(iikeying.InitiatorSessionId, cookie, iikeying.InitiatorCertificate.ToArray(),
            iikeying.SessionKeyInitiatorComponent.ToArray(), SocketAddresses.Copy(client), _epds?.Find(cookie));
        return IIKeyingCheck.Accepted;
    }

    /// <summary>RFC 7016 §3.5.1.2: a new cookie for the IIKeying's source, and the IHello's EPD remembered under it.</summary>
    private CookieChangeReply WriteCookieChange(uint initiatorSessionId, ReadOnlySpan<byte> oldCookie, SocketAddress client,
        long nowMs, long unixMs, Span<byte> reply)
    {
        Span<byte> newCookie = stackalloc byte[CookieJar.CookieLength];
        _cookies.Rebind(oldCookie, client, unixMs, newCookie);
        if (_epds?.Find(oldCookie) is { } epd)
        {
            _epds.Store(newCookie, epd);
        }
        int length = StartupPacketWriter.WriteCookieChange(reply, nowMs, oldCookie, newCookie);
        return new CookieChangeReply(initiatorSessionId, length);
    }

    /// <summary>
    /// The worker half: Diffie-Hellman and key derivation (FlashCryptoProfile.TryRespond), then the RIKeying
    /// (responder session ID from the cookie, our SKRC, signature "X"). Null if the client's keying is unacceptable.
    /// </summary>
    public ResponderHandshakeResult? Complete(HandshakeJob job, long nowMs)
    {
        var profile = _profile;
        if (MemberProfiles.Count > 0 && job.EndpointDiscriminator is { } epdBytes && EndpointDiscriminator.TryParse(epdBytes, out var epd))
        {
            profile = MemberSelectedBy(epd) ?? _profile;
        }
        if (!profile.TryRespond(job.InitiatorCertificate, job.InitiatorComponent, out var keying))
        {
            return null;
        }
        uint responderSessionId = _cookies.SessionIdFor(job.Cookie, job.Probe);
        byte[] rikeying = StartupPacketWriter.RIKeying(nowMs, responderSessionId, keying.NearComponent, FlashCryptoProfile.EmptySignature);
        return new ResponderHandshakeResult(responderSessionId, job, keying, rikeying);
    }
}
