using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Security.Cryptography;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine.Handshake;

/// <summary>
/// One opening session on the initiator side (RFC 7016 §3.5.1.1.1): S_IHELLO_SENT → S_KEYING_SENT → S_OPEN.
/// Plain code driven by the host's clock: feed received startup chunks in, pull packets with
/// <see cref="TryBuildPacket"/> until it returns false, and call again at <see cref="NextWakeupMs"/>.
/// The host routes RHello and Redirect by <see cref="Tag"/> (session ID 0) and RHello Cookie Change and
/// RIKeying by <see cref="InitiatorSessionId"/> (Default Session Key, RFC 7016 §2.2.3). Not thread-safe.
/// </summary>
public sealed class InitiatorHandshake : IDisposable
{
    private readonly FlashCryptoProfile _profile;
    private readonly byte[] _epd;
    private readonly byte[] _tag;
    private readonly List<Candidate> _candidates = new();
    private readonly long _deadlineMs;
    private InitiatorKeying? _keying;
    private byte[]? _cookie;
    private bool _cookieChanged;
    private RetransmissionSchedule _keyingSchedule;
    private int _nextCandidate;

    /// <param name="profile">Our identity; its certificate goes into the IIKeying.</param>
    /// <param name="endpointDiscriminator">Who we want to reach: a URI EPD for a server, a fingerprint EPD for a peer.</param>
    /// <param name="initiatorSessionId">Our receive session ID (non-zero, unique among the host's sessions).</param>
    /// <param name="candidates">Initial candidate addresses (at least one; Redirects may add more).</param>
    /// <param name="tag">Optional fixed tag (tests); otherwise 16 random bytes.</param>
    public InitiatorHandshake(FlashCryptoProfile profile, ReadOnlySpan<byte> endpointDiscriminator, uint initiatorSessionId,
        IEnumerable<SocketAddress> candidates, long nowMs, ReadOnlySpan<byte> tag = default)
    {
        if (initiatorSessionId == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(initiatorSessionId), "session ID 0 is the startup pseudo-session");
        }
        if (endpointDiscriminator.IsEmpty)
        {
            throw new ArgumentException("empty endpoint discriminator", nameof(endpointDiscriminator));
        }
        _profile = profile;
        _epd = endpointDiscriminator.ToArray();
        _tag = tag.IsEmpty ? RandomNumberGenerator.GetBytes(HandshakeTimings.TagLength) : tag.ToArray();
        InitiatorSessionId = initiatorSessionId;
        StartMs = nowMs;
        _deadlineMs = nowMs + HandshakeTimings.UltimateOpenTimeoutMs;
        foreach (var address in candidates)
        {
            AddCandidate(address, nowMs, fromRedirect: false);
        }
        if (_candidates.Count == 0)
        {
            throw new ArgumentException("at least one candidate address", nameof(candidates));
        }
        IHelloPacket = StartupPacketWriter.IHello(nowMs, _epd, _tag);
    }

    public InitiatorState State { get; private set; }
    public OpenFailure Failure { get; private set; }
    public uint InitiatorSessionId { get; }
    public long StartMs { get; }
    public ReadOnlySpan<byte> Tag => _tag;
    public ReadOnlySpan<byte> EndpointDiscriminator => _epd;

    /// <summary>The IHello sent to every candidate; each send is a copy carrying the send time's timestamp.</summary>
    public byte[] IHelloPacket { get; }

    /// <summary>The cookie being echoed (S_KEYING_SENT and later).</summary>
    public ReadOnlySpan<byte> Cookie => _cookie;

    /// <summary>The current IIKeying packet (S_KEYING_SENT and later); each send is a copy with a fresh timestamp.</summary>
    public byte[]? IIKeyingPacket { get; private set; }

    /// <summary>DESTADDR: the source of the accepted RHello.</summary>
    public SocketAddress? DestinationAddress { get; private set; }

    /// <summary>The certificate of the accepted RHello.</summary>
    public FlashCertificate? ResponderCertificate => _keying?.ResponderCertificate ?? Result?.FarCertificate;

    /// <summary>Set on S_OPEN.</summary>
    public HandshakeResult? Result { get; private set; }

    public int CandidateCount => _candidates.Count;

    /// <summary>
    /// RFC 7016 §3.5.1.1.1 step 1: asked with the responder certificate of an acceptable RHello; true when
    /// another S_KEYING_SENT/S_OPEN session has the same Canonical EPD, which aborts this one as a duplicate.
    /// </summary>
    public Func<FlashCertificate, bool>? IsDuplicate { get; set; }

    /// <summary>Earliest time <see cref="TryBuildPacket"/> has something to do; long.MaxValue when finished.</summary>
    public long NextWakeupMs
    {
        get
        {
            switch (State)
            {
                case InitiatorState.IHelloSent:
                    long next = _deadlineMs;
                    foreach (var c in _candidates)
                    {
                        next = Math.Min(next, c.Schedule.NextSendMs);
                    }
                    return next;
                case InitiatorState.KeyingSent:
                    return Math.Min(_deadlineMs, _keyingSchedule.NextSendMs);
                default:
                    return long.MaxValue;
            }
        }
    }

    /// <summary>S_IHELLO_SENT to one of the candidates or S_KEYING_SENT to DESTADDR (glare detection, RFC 7016 §3.5.1.3).</summary>
    public bool IsOpeningTo(SocketAddress address)
    {
        switch (State)
        {
            case InitiatorState.IHelloSent:
                foreach (var c in _candidates)
                {
                    if (EndpointAddress.Same(c.Address, address))
                    {
                        return true;
                    }
                }
                return false;
            case InitiatorState.KeyingSent:
                return DestinationAddress is not null && EndpointAddress.Same(DestinationAddress, address);
            default:
                return false;
        }
    }

    /// <summary>Adds a candidate address while S_IHELLO_SENT; its IHello schedule starts now. False if already present.</summary>
    public bool AddCandidate(SocketAddress address, long nowMs) => AddCandidate(address, nowMs, fromRedirect: false);

    private bool AddCandidate(SocketAddress address, long nowMs, bool fromRedirect)
    {
        if (State != InitiatorState.IHelloSent || (fromRedirect && _candidates.Count >= HandshakeTimings.RedirectThreshold))
        {
            return false;
        }
        foreach (var c in _candidates)
        {
            if (EndpointAddress.Same(c.Address, address))
            {
                return false;
            }
        }
        _candidates.Add(new Candidate(SocketAddresses.Copy(address), new RetransmissionSchedule(nowMs)));
        return true;
    }

    /// <summary>
    /// The next due IHello or IIKeying (re)transmission, if any. Also applies the ultimate open timeout.
    /// Call until false after each input and at <see cref="NextWakeupMs"/>.
    /// </summary>
    public bool TryBuildPacket(long nowMs, [NotNullWhen(true)] out OutgoingStartupPacket? packet)
    {
        packet = null;
        if ((State is InitiatorState.IHelloSent or InitiatorState.KeyingSent) && nowMs >= _deadlineMs)
        {
            Fail(OpenFailure.Timeout);
            return false;
        }
        if (State == InitiatorState.IHelloSent)
        {
            // Round-robin so one candidate cannot starve the others.
            for (int i = 0; i < _candidates.Count; i++)
            {
                int index = (_nextCandidate + i) % _candidates.Count;
                var c = _candidates[index];
                if (c.Schedule.IsDue(nowMs))
                {
                    c.Schedule.OnSent(nowMs);
                    _candidates[index] = c;
                    _nextCandidate = index + 1;
                    packet = new OutgoingStartupPacket(c.Address, 0, Stamp(IHelloPacket, nowMs));
                    return true;
                }
            }
            return false;
        }
        if (State == InitiatorState.KeyingSent && _keyingSchedule.IsDue(nowMs))
        {
            _keyingSchedule.OnSent(nowMs);
            packet = new OutgoingStartupPacket(DestinationAddress!, 0, Stamp(IIKeyingPacket!, nowMs));
            return true;
        }
        return false;
    }

    /// <summary>Attempts so far of the IHello to candidate <paramref name="index"/> (tests, metrics).</summary>
    public int IHelloAttempts(int index) => _candidates[index].Schedule.Attempts;

    public int IIKeyingAttempts => _keyingSchedule.Attempts;

    /// <summary>
    /// Dispatches the chunks of a decrypted startup packet: RHello and Redirect when it came with session ID 0,
    /// RHello Cookie Change and RIKeying when it came with our session ID. True if any chunk was accepted.
    /// </summary>
    public bool Receive(ReadOnlySpan<byte> plainPacket, uint sessionId, SocketAddress from, long nowMs)
    {
        if (!StartupPacket.TryRead(plainPacket, out var chunks))
        {
            return false;
        }
        bool accepted = false;
        foreach (var chunk in chunks)
        {
            accepted |= (chunk.Type, sessionId == 0, sessionId == InitiatorSessionId) switch
            {
                (ChunkType.RHello, true, _) => OnRHello(chunk.Payload, from, nowMs),
                (ChunkType.ResponderRedirect, true, _) => OnRedirect(chunk.Payload, from, nowMs),
                (ChunkType.RHelloCookieChange, _, true) => OnRHelloCookieChange(chunk.Payload, nowMs),
                (ChunkType.RIKeying, _, true) => OnRIKeying(chunk.Payload),
                _ => false,
            };
        }
        return accepted;
    }

    /// <summary>
    /// RFC 7016 §3.5.1.1.1: the first RHello with our tag, while S_IHELLO_SENT, whose certificate the EPD
    /// selects and that we can key with, moves us to S_KEYING_SENT with DESTADDR = its source.
    /// </summary>
    public bool OnRHello(ReadOnlySpan<byte> payload, SocketAddress from, long nowMs)
    {
        if (State != InitiatorState.IHelloSent || !RHelloChunk.TryRead(payload, out var rhello)
            || !rhello.TagEcho.SequenceEqual(_tag) || rhello.Cookie.IsEmpty
            || !_profile.TryBeginInitiator(_epd, rhello.ResponderCertificate, out var keying))
        {
            return false;
        }
        if (IsDuplicate?.Invoke(keying.ResponderCertificate) == true)
        {
            keying.Dispose();
            Fail(OpenFailure.Duplicate);
            return true;
        }
        _keying = keying;
        _cookie = rhello.Cookie.ToArray();
        DestinationAddress = SocketAddresses.Copy(from);
        State = InitiatorState.KeyingSent;
        StartKeying(nowMs);
        return true;
    }

    /// <summary>
    /// RFC 7016 §3.5.1.1.1 / §3.5.1.4: a Redirect with our tag while S_IHELLO_SENT adds its destinations
    /// (the packet source for an Implied Redirect) up to REDIRECT_THRESHOLD candidates.
    /// </summary>
    public bool OnRedirect(ReadOnlySpan<byte> payload, SocketAddress from, long nowMs)
    {
        if (State != InitiatorState.IHelloSent || !ResponderRedirectChunk.TryRead(payload, out var redirect)
            || !redirect.TagEcho.SequenceEqual(_tag))
        {
            return false;
        }
        if (redirect.IsImpliedRedirect)
        {
            AddCandidate(from, nowMs, fromRedirect: true);
            return true;
        }
        foreach (var destination in redirect.GetDestinations())
        {
            // 0.0.0.0:0 is librtmfp/Mona's private "peer is gone" marker, never a destination.
            if (destination.Port == 0)
            {
                continue;
            }
            AddCandidate(destination.UnmapIPv4().ToSocketAddress(), nowMs, fromRedirect: true);
        }
        return true;
    }

    /// <summary>
    /// RFC 7016 §3.5.1.2: in S_KEYING_SENT, when the old cookie is the one we sent, adopt the new cookie and
    /// resend IIKeying at once. At most one change per session.
    /// </summary>
    public bool OnRHelloCookieChange(ReadOnlySpan<byte> payload, long nowMs)
    {
        if (State != InitiatorState.KeyingSent || _cookieChanged || !RHelloCookieChangeChunk.TryRead(payload, out var change)
            || !change.OldCookie.SequenceEqual(_cookie) || change.NewCookie.IsEmpty)
        {
            return false;
        }
        _cookie = change.NewCookie.ToArray();
        _cookieChanged = true;
        StartKeying(nowMs);
        return true;
    }

    /// <summary>
    /// RFC 7016 §3.5.1.1.1: RIKeying in S_KEYING_SENT whose SKRC combines with our SKIC opens the session.
    /// We require no signature, so any signature is acceptable (RFC 7425 §4.3.5).
    /// </summary>
    public bool OnRIKeying(ReadOnlySpan<byte> payload)
    {
        if (State != InitiatorState.KeyingSent || !RIKeyingChunk.TryRead(payload, out var rikeying)
            || rikeying.ResponderSessionId == 0 || _keying is null)
        {
            return false;
        }
        byte[] skic = _keying.InitiatorComponent.ToArray();
        if (!_keying.TryComplete(rikeying.SessionKeyResponderComponent, out var keys))
        {
            return false;
        }
        _keying = null;
        Result = new HandshakeResult(SessionRole.Initiator, InitiatorSessionId, rikeying.ResponderSessionId,
            DestinationAddress!, keys, _epd, skic, riKeying: null);
        State = InitiatorState.Open;
        return true;
    }

    /// <summary>Moves to S_OPEN_FAILED (e.g. glare lost to an overriding certificate, RFC 7016 §3.5.1.3).</summary>
    public void Abort()
    {
        if (State is InitiatorState.IHelloSent or InitiatorState.KeyingSent)
        {
            Fail(OpenFailure.Aborted);
        }
    }

    private void StartKeying(long nowMs)
    {
        IIKeyingPacket = StartupPacketWriter.IIKeying(nowMs, InitiatorSessionId, _cookie, _profile.Certificate.Encoded,
            _keying!.InitiatorComponent, FlashCryptoProfile.EmptySignature);
        _keyingSchedule = new RetransmissionSchedule(nowMs);
    }

    /// <summary>A copy of a startup packet with the current timestamp (RFC 7016 §2.2.4: the sender's clock when sent).</summary>
    private static byte[] Stamp(byte[] template, long nowMs)
    {
        var packet = (byte[])template.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(1), Timestamp.FromMilliseconds(nowMs));
        return packet;
    }

    private void Fail(OpenFailure failure)
    {
        State = InitiatorState.OpenFailed;
        Failure = failure;
        _keying?.Dispose();
        _keying = null;
    }

    public void Dispose()
    {
        _keying?.Dispose();
        _keying = null;
    }

    private struct Candidate(SocketAddress address, RetransmissionSchedule schedule)
    {
        public SocketAddress Address = address;
        public RetransmissionSchedule Schedule = schedule;
    }
}
