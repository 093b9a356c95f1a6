namespace Rtmfp.Shared.Crypto;

/// <summary>The outcome of a completed Flash-profile keying, from the near end's point of view (RFC 7425 §4.6).</summary>
public sealed class SessionKeyingResult
{
    internal SessionKeyingResult(FlashCertificate farCertificate, byte[] nearComponent, byte[] farComponent,
        DiffieHellmanGroup group, SessionKeys keys, PacketVerificationSettings verification)
    {
        FarCertificate = farCertificate;
        NearComponent = nearComponent;
        FarComponent = farComponent;
        Group = group;
        Keys = keys;
        Verification = verification;
    }

    public FlashCertificate FarCertificate { get; }

    /// <summary>Far peer ID = fingerprint of its certificate (RFC 7425 §4.3.2).</summary>
    public ReadOnlySpan<byte> FarPeerId => FarCertificate.Fingerprint;

    /// <summary>SKNC: the SKRC a responder must put into its RIKeying; the SKIC at an initiator.</summary>
    public byte[] NearComponent { get; }

    /// <summary>SKFC as received.</summary>
    public byte[] FarComponent { get; }

    public DiffieHellmanGroup Group { get; }
    public SessionKeys Keys { get; }
    public PacketVerificationSettings Verification { get; }

    /// <summary>A new packet context for this session's keys (one per session, see <see cref="SessionCryptoContext"/>).</summary>
    public SessionCryptoContext CreateCryptoContext() => new(Keys, Verification);
}
