using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Rtmfp.Shared.Crypto;

/// <summary>
/// The RFC 7425 §4 Cryptography Profile for one local identity: our certificate (static or ephemeral
/// DH), EPD selection, glare, and both sides of the initial keying. Immutable after construction and
/// safe to use from many threads; each <see cref="InitiatorKeying"/> belongs to one opening session.
/// </summary>
public sealed class FlashCryptoProfile : IDisposable
{
    /// <summary>Extra Randomness length we send: one SHA-256 block, the RFC's upper bound (§4.5.2.2).</summary>
    public const int ExtraRandomnessLength = 64;

    /// <summary>
    /// The IIKeying/RIKeying signature we send: "X" (0x58), meaning no signature options
    /// (RFC 7425 §4.3.5). We require no signature, so any received signature is acceptable.
    /// </summary>
    public static ReadOnlySpan<byte> EmptySignature => "X"u8;

    private readonly DiffieHellmanKeyPair[] _staticKeys; // empty for an ephemeral identity
    private readonly DiffieHellmanGroup[] _groups; // strongest first
    private EphemeralKeyReuse? _reuse; // null: a fresh responder key pair per handshake

    private FlashCryptoProfile(byte[] certificate, DiffieHellmanKeyPair[] staticKeys, DiffieHellmanGroup[] groups, KeyingPolicy policy)
    {
        policy.Validate();
        if (!FlashCertificate.TryParse(certificate, out var parsed))
        {
            throw new InvalidOperationException("built an unparsable certificate");
        }
        Certificate = parsed;
        _staticKeys = staticKeys;
        _groups = groups.OrderByDescending(g => g.PrimeLength).ToArray();
        Policy = policy;
    }

    /// <summary>
    /// A server identity: ephemeral DH (forward secrecy, RFC 7425 §5.3), Accepts Ancillary Data so
    /// client URI EPDs select it, 64 random bytes for a unique fingerprint, groups listed 2, 5, 14
    /// — the 77-byte certificate Flash clients and librtmfp expect.
    /// </summary>
    /// <param name="ephemeralKeyLifetime">See <see cref="EphemeralKeyLifetime"/>; zero: a fresh key pair per handshake.</param>
    public static FlashCryptoProfile CreateServer(KeyingPolicy? policy = null, IEnumerable<DiffieHellmanGroup>? groups = null, string? hostname = null,
        TimeSpan ephemeralKeyLifetime = default)
    {
        DiffieHellmanGroup[] list = (groups ?? [DiffieHellmanGroup.Group2, DiffieHellmanGroup.Group5, DiffieHellmanGroup.Group14]).ToArray();
        Span<byte> randomness = stackalloc byte[ExtraRandomnessLength];
        RandomNumberGenerator.Fill(randomness);
        byte[] cert = FlashCertificate.BuildEphemeral(list.Select(g => g.Id), acceptsAncillaryData: true, randomness, hostname);
        return new FlashCryptoProfile(cert, [], list, policy ?? KeyingPolicy.Default) { EphemeralKeyLifetime = ephemeralKeyLifetime };
    }

    /// <summary>
    /// An ephemeral identity without ancillary data (a peer or client that prefers forward secrecy).
    /// </summary>
    public static FlashCryptoProfile CreateEphemeral(KeyingPolicy? policy = null, IEnumerable<DiffieHellmanGroup>? groups = null, bool acceptsAncillaryData = false)
    {
        DiffieHellmanGroup[] list = (groups ?? DiffieHellmanGroup.All).ToArray();
        Span<byte> randomness = stackalloc byte[ExtraRandomnessLength];
        RandomNumberGenerator.Fill(randomness);
        byte[] cert = FlashCertificate.BuildEphemeral(list.Select(g => g.Id), acceptsAncillaryData, randomness);
        return new FlashCryptoProfile(cert, [], list, policy ?? KeyingPolicy.Default);
    }

    /// <summary>
    /// A static-key identity, Flash client/peer style (RFC 7425 §5.3: clients SHOULD use static keys
    /// and a new certificate per NetConnection). Defaults to group 2 only, exactly Flash Player's
    /// <c>81 02 1D 02 &lt;key&gt;</c> certificate, which Cumulus/Mona parse positionally.
    /// </summary>
    public static FlashCryptoProfile CreateStatic(KeyingPolicy? policy = null, IEnumerable<DiffieHellmanGroup>? groups = null)
    {
        DiffieHellmanGroup[] list = (groups ?? [DiffieHellmanGroup.Group2]).ToArray();
        var keys = new DiffieHellmanKeyPair[list.Length];
        try
        {
            for (int i = 0; i < list.Length; i++)
            {
                keys[i] = DiffieHellmanKeyPair.Generate(list[i]);
            }
            return FromStaticKeys(keys, policy);
        }
        catch
        {
            foreach (var key in keys)
            {
                key?.Dispose();
            }
            throw;
        }
    }

    /// <summary>A static identity from existing key pairs; the profile takes ownership of them.</summary>
    public static FlashCryptoProfile FromStaticKeys(IReadOnlyList<DiffieHellmanKeyPair> keys, KeyingPolicy? policy = null)
    {
        if (keys.Count == 0)
        {
            throw new ArgumentException("at least one static key", nameof(keys));
        }
        byte[] cert = FlashCertificate.BuildStatic(keys);
        return new FlashCryptoProfile(cert, keys.ToArray(), keys.Select(k => k.Group).ToArray(), policy ?? KeyingPolicy.Default);
    }

    public FlashCertificate Certificate { get; }

    /// <summary>
    /// How long a responder uses one ephemeral key pair per group (<see cref="EphemeralKeyReuse"/>); zero (the
    /// default) generates one per handshake. Set it before the profile answers its first handshake.
    /// </summary>
    public TimeSpan EphemeralKeyLifetime
    {
        get => _reuse?.Lifetime ?? TimeSpan.Zero;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            _reuse = value > TimeSpan.Zero && _staticKeys.Length == 0 ? new EphemeralKeyReuse(value) : null;
        }
    }

    /// <summary>Our peer ID (certificate fingerprint).</summary>
    public ReadOnlySpan<byte> PeerId => Certificate.Fingerprint;

    public bool IsStatic => _staticKeys.Length > 0;
    public KeyingPolicy Policy { get; }

    /// <summary>Supported groups, strongest first.</summary>
    public IReadOnlyList<DiffieHellmanGroup> Groups => _groups;

    /// <summary>"EPD selects me" (RFC 7016 §3.2, RFC 7425 §4.4.3).</summary>
    public bool IsSelectedBy(ReadOnlySpan<byte> endpointDiscriminator) =>
        EndpointDiscriminator.Selects(endpointDiscriminator, Certificate);

    /// <summary>RFC 7425 §4.3.6: true if we stay Initiator and ignore the far end's IIKeying.</summary>
    public bool NearPrevailsInGlare(ReadOnlySpan<byte> farCertificate) =>
        GlareResolution.NearPrevails(Certificate.Encoded, farCertificate);

    /// <summary>
    /// Responder side of IIKeying (RFC 7016 §3.5.1.1.2, RFC 7425 §4.6): checks the initiator's
    /// certificate and SKIC, runs Diffie-Hellman in the group the initiator chose (§4.6.1) and
    /// returns our SKRC plus the session keys. False (never throws) for anything unacceptable:
    /// malformed input, unsupported group, unacceptable public key, unmet HMAC/SSEQ requirement.
    /// </summary>
    public bool TryRespond(ReadOnlySpan<byte> initiatorCertificate, ReadOnlySpan<byte> initiatorComponent,
        [NotNullWhen(true)] out SessionKeyingResult? result)
    {
        result = null;
        if (!FlashCertificate.TryParse(initiatorCertificate, out var far) ||
            !SessionKeyingComponent.TryParse(initiatorComponent, out var skic))
        {
            return false;
        }

        // Cheap checks before the expensive exponentiation.
        NegotiationFlags hmacFlags = Policy.GetHmacFlags(skic.HmacFlags);
        NegotiationFlags sseqFlags = Policy.GetSequenceNumberFlags(skic.SequenceNumberFlags);
        if (!TryNegotiate(hmacFlags, sseqFlags, skic, out var verification))
        {
            return false;
        }

        // RFC 7425 §4.6.1: the initiator picks the group, by DH Group Select (static cert) or its ephemeral key.
        ulong groupId;
        ReadOnlySpan<byte> farKey;
        if (far.IsStatic)
        {
            if (!skic.HasGroupSelect || skic.HasEphemeralPublicKey)
            {
                return false;
            }
            groupId = skic.SelectedGroupId;
            if (!far.TryGetStaticPublicKey(groupId, out farKey))
            {
                return false;
            }
        }
        else
        {
            if (!skic.HasEphemeralPublicKey)
            {
                return false;
            }
            groupId = skic.EphemeralGroupId;
            farKey = skic.EphemeralPublicKey;
        }
        DiffieHellmanGroup? group = FindGroup(groupId);
        if (group is null || !group.IsAcceptablePublicKey(farKey))
        {
            return false;
        }

        DiffieHellmanKeyPair? ephemeral = null;
        DiffieHellmanKeyPair? owned = null; // a key pair of this handshake alone, cleared when it is done
        try
        {
            DiffieHellmanKeyPair? staticKey = FindStaticKey(group);
            if (staticKey is null)
            {
                ephemeral = _reuse?.Get(group) ?? (owned = DiffieHellmanKeyPair.Generate(group));
            }
            DiffieHellmanKeyPair nearKey = staticKey ?? ephemeral!;
            Span<byte> randomness = stackalloc byte[ExtraRandomnessLength];
            if (ephemeral is null)
            {
                RandomNumberGenerator.Fill(randomness); // static responder salts with Extra Randomness (§4.6.1.2, §4.6.1.4)
            }
            byte[] skrc = SessionKeyingComponent.Build(
                negotiationFirst: true, groupSelect: null, ephemeral,
                ephemeral is null ? randomness : default,
                hmacFlags, Policy.GetAdvertisedHmacLength(hmacFlags), sseqFlags);
            byte[] skicCopy = initiatorComponent.ToArray();
            if (!TryDeriveKeys(nearKey, farKey, skrc, skicCopy, out var keys))
            {
                return false;
            }
            result = new SessionKeyingResult(far, skrc, skicCopy, group, keys, verification);
            return true;
        }
        finally
        {
            owned?.Dispose();
        }
    }

    /// <summary>
    /// Initiator side on receipt of an RHello (RFC 7016 §3.5.1.1.1 step 5): checks that
    /// <paramref name="endpointDiscriminator"/> selects the responder's certificate, picks the
    /// strongest group both support and produces our SKIC. Our certificate for the IIKeying is
    /// <see cref="Certificate"/>. False (never throws) if the certificate is unusable.
    /// </summary>
    public bool TryBeginInitiator(ReadOnlySpan<byte> endpointDiscriminator, ReadOnlySpan<byte> responderCertificate,
        [NotNullWhen(true)] out InitiatorKeying? keying)
    {
        keying = null;
        if (!FlashCertificate.TryParse(responderCertificate, out var far) ||
            !EndpointDiscriminator.Selects(endpointDiscriminator, far))
        {
            return false;
        }
        DiffieHellmanGroup? group = null;
        foreach (var candidate in _groups)
        {
            if (far.SupportsGroup(candidate.Id))
            {
                group = candidate;
                break;
            }
        }
        if (group is null)
        {
            return false;
        }
        if (far.IsStatic && (!far.TryGetStaticPublicKey(group.Id, out var staticKey) || !group.IsAcceptablePublicKey(staticKey)))
        {
            return false;
        }

        NegotiationFlags hmacFlags = Policy.GetHmacFlags(null);
        NegotiationFlags sseqFlags = Policy.GetSequenceNumberFlags(null);
        int hmacLength = Policy.GetAdvertisedHmacLength(hmacFlags);
        DiffieHellmanKeyPair? staticNear = FindStaticKey(group);
        byte[] skic;
        DiffieHellmanKeyPair? ephemeral = null;
        if (staticNear is not null)
        {
            // §4.6.1.3/§4.6.1.4: DH Group Select + Extra Randomness.
            Span<byte> randomness = stackalloc byte[ExtraRandomnessLength];
            RandomNumberGenerator.Fill(randomness);
            skic = SessionKeyingComponent.Build(false, group.Id, null, randomness, hmacFlags, hmacLength, sseqFlags);
        }
        else
        {
            // §4.6.1.1/§4.6.1.2: our ephemeral key selects the group.
            ephemeral = DiffieHellmanKeyPair.Generate(group);
            skic = SessionKeyingComponent.Build(false, null, ephemeral, default, hmacFlags, hmacLength, sseqFlags);
        }
        keying = new InitiatorKeying(this, far, group, staticNear, ephemeral, skic, hmacFlags, sseqFlags);
        return true;
    }

    internal bool TryNegotiate(NegotiationFlags hmacFlags, NegotiationFlags sseqFlags, in SessionKeyingComponent far,
        out PacketVerificationSettings settings)
    {
        settings = default;
        if (!VerificationNegotiation.TryResolve(hmacFlags, far.HmacFlags, Policy.HmacReceiveRequired, out bool hmacSend, out bool hmacReceive) ||
            !VerificationNegotiation.TryResolve(sseqFlags, far.SequenceNumberFlags, Policy.SequenceNumbersReceiveRequired, out bool sseqSend, out bool sseqReceive))
        {
            return false;
        }
        // The far end sends HMACs of the length it announced, which must then be 4..32 (§4.6.4).
        if (hmacReceive && far.HmacLength is < PacketVerificationSettings.MinHmacLength or > PacketVerificationSettings.MaxHmacLength)
        {
            return false;
        }
        settings = new PacketVerificationSettings(
            hmacSend ? Policy.HmacLength : 0,
            hmacReceive ? (int)far.HmacLength : 0,
            sseqSend,
            sseqReceive);
        return true;
    }

    internal static bool TryDeriveKeys(DiffieHellmanKeyPair nearKey, ReadOnlySpan<byte> farKey, ReadOnlySpan<byte> sknc, ReadOnlySpan<byte> skfc,
        [NotNullWhen(true)] out SessionKeys? keys)
    {
        keys = null;
        Span<byte> secret = stackalloc byte[nearKey.Group.PrimeLength];
        if (!nearKey.TryComputeSharedSecret(farKey, secret, out int secretLength))
        {
            return false;
        }
        keys = SessionKeys.Derive(secret[..secretLength], sknc, skfc);
        CryptographicOperations.ZeroMemory(secret);
        return true;
    }

    private DiffieHellmanGroup? FindGroup(ulong id)
    {
        foreach (var group in _groups)
        {
            if (group.Id == id)
            {
                return group;
            }
        }
        return null;
    }

    private DiffieHellmanKeyPair? FindStaticKey(DiffieHellmanGroup group)
    {
        foreach (var key in _staticKeys)
        {
            if (key.Group == group)
            {
                return key;
            }
        }
        return null;
    }

    public void Dispose()
    {
        foreach (var key in _staticKeys)
        {
            key.Dispose();
        }
    }
}
