using System.Security.Cryptography;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Shared.Groups;

/// <summary>
/// The peer identity of a server member that seeds a stream into a group (docs/groups.md §7): a static
/// Diffie-Hellman group 2 certificate, exactly the <c>81 02 1D 02 &lt;key&gt;</c> one Flash and librtmfp members
/// expect of a peer (they read one 128-byte key from it). Its private key is derived from a cluster-wide secret and
/// the group ID, so every gateway of the cluster answers for the same peer ID and every session node recognises it,
/// without a key to distribute.
/// </summary>
public sealed class GroupSeedIdentity : IDisposable
{
    private static ReadOnlySpan<byte> Label => "rtmfp group seed v1"u8;

    private GroupSeedIdentity(GroupSpecifier specifier, FlashCryptoProfile profile)
    {
        Specifier = specifier;
        Profile = profile;
        PeerId = profile.PeerId.ToArray();
    }

    public GroupSpecifier Specifier { get; }

    /// <summary>The member's crypto profile: what the handshake front answers an IHello for <see cref="PeerId"/> with.</summary>
    public FlashCryptoProfile Profile { get; }

    /// <summary>SHA-256 of the certificate (RFC 7425 §4.3.2): what the group introduces to members.</summary>
    public byte[] PeerId { get; }

    /// <summary>The identity for <paramref name="specifier"/> under <paramref name="clusterSecret"/> (at least 16 bytes).</summary>
    public static GroupSeedIdentity Derive(GroupSpecifier specifier, ReadOnlySpan<byte> clusterSecret)
    {
        if (clusterSecret.Length < 16)
        {
            throw new ArgumentException("the cluster secret has at least 16 bytes", nameof(clusterSecret));
        }
        Span<byte> input = stackalloc byte[Label.Length + specifier.GroupId.Length];
        Label.CopyTo(input);
        specifier.GroupId.CopyTo(input[Label.Length..]);
        // A 256-bit exponent with its top bit set: full size, never zero (RFC 7425 §4.6.2 wants an acceptable key).
        Span<byte> exponent = stackalloc byte[32];
        HMACSHA256.HashData(clusterSecret, input, exponent);
        exponent[0] |= 0x80;
        var key = DiffieHellmanKeyPair.FromPrivateKey(DiffieHellmanGroup.Group2, exponent);
        try
        {
            return new GroupSeedIdentity(specifier, FlashCryptoProfile.FromStaticKeys([key]));
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Whether an EPD (RFC 7016 §3.2; a peer-to-peer IHello names a fingerprint) selects this member.</summary>
    public bool IsSelectedBy(ReadOnlySpan<byte> endpointDiscriminator) =>
        EndpointDiscriminator.TryParse(endpointDiscriminator, out var epd) && epd.HasFingerprint && epd.Fingerprint.SequenceEqual(PeerId);

    public void Dispose() => Profile.Dispose();
}
