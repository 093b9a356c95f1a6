using System.Diagnostics.CodeAnalysis;

namespace Rtmfp.Shared.Crypto;

/// <summary>
/// An initiator's keying state between sending IIKeying and receiving RIKeying (state S_KEYING_SENT,
/// RFC 7016 §3.5.1.1.1). Holds the SKIC to send and any ephemeral private key. Owned by one opening
/// session; not thread-safe. Dispose wipes the ephemeral key (also done on successful completion).
/// </summary>
public sealed class InitiatorKeying : IDisposable
{
    private readonly FlashCryptoProfile _profile;
    private readonly DiffieHellmanKeyPair? _staticKey;
    private readonly NegotiationFlags _hmacFlags;
    private readonly NegotiationFlags _sseqFlags;
    private readonly byte[] _component;
    private DiffieHellmanKeyPair? _ephemeralKey;

    internal InitiatorKeying(FlashCryptoProfile profile, FlashCertificate responder, DiffieHellmanGroup group,
        DiffieHellmanKeyPair? staticKey, DiffieHellmanKeyPair? ephemeralKey, byte[] component,
        NegotiationFlags hmacFlags, NegotiationFlags sseqFlags)
    {
        _profile = profile;
        ResponderCertificate = responder;
        Group = group;
        _staticKey = staticKey;
        _ephemeralKey = ephemeralKey;
        _component = component;
        _hmacFlags = hmacFlags;
        _sseqFlags = sseqFlags;
    }

    public FlashCertificate ResponderCertificate { get; }

    /// <summary>The group we selected: the strongest both ends support (RFC 7425 §4.6.1).</summary>
    public DiffieHellmanGroup Group { get; }

    /// <summary>Our SKIC for the IIKeying chunk.</summary>
    public ReadOnlySpan<byte> InitiatorComponent => _component;

    /// <summary>
    /// Combines the responder's SKRC from RIKeying (RFC 7425 §4.6). False (never throws) for a
    /// malformed SKRC, a DH key missing or in another group than we selected (MonaServer/Cumulus answer
    /// group 2 whatever was selected), an unacceptable key or an unmet HMAC/SSEQ requirement. A
    /// failure leaves this object usable for a retransmitted RIKeying.
    /// </summary>
    public bool TryComplete(ReadOnlySpan<byte> responderComponent, [NotNullWhen(true)] out SessionKeyingResult? result)
    {
        result = null;
        DiffieHellmanKeyPair? nearKey = _staticKey ?? _ephemeralKey;
        if (nearKey is null || !SessionKeyingComponent.TryParse(responderComponent, out var skrc) ||
            !_profile.TryNegotiate(_hmacFlags, _sseqFlags, skrc, out var verification))
        {
            return false;
        }
        ReadOnlySpan<byte> farKey;
        if (ResponderCertificate.IsStatic)
        {
            if (!ResponderCertificate.TryGetStaticPublicKey(Group.Id, out farKey))
            {
                return false;
            }
        }
        else
        {
            if (!skrc.HasEphemeralPublicKey || skrc.EphemeralGroupId != Group.Id)
            {
                return false;
            }
            farKey = skrc.EphemeralPublicKey;
        }
        byte[] skrcCopy = responderComponent.ToArray();
        if (!FlashCryptoProfile.TryDeriveKeys(nearKey, farKey, _component, skrcCopy, out var keys))
        {
            return false;
        }
        result = new SessionKeyingResult(ResponderCertificate, _component, skrcCopy, Group, keys, verification);
        Dispose();
        return true;
    }

    public void Dispose()
    {
        _ephemeralKey?.Dispose();
        _ephemeralKey = null;
    }
}
