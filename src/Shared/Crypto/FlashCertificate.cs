using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Crypto;

/// <summary>
/// A Flash-profile certificate (RFC 7425 §4.3): options and markers; everything before the first
/// marker is the canonical section, whose SHA-256 is the fingerprint = peer ID (§4.3.2). Parsed
/// copies are immutable and thread-safe.
/// </summary>
public sealed class FlashCertificate
{
    // RFC 7425 §4.3.3 option types.
    public const ulong OptionHostname = 0x00;
    public const ulong OptionAcceptsAncillaryData = 0x0A;
    public const ulong OptionExtraRandomness = 0x0E;
    public const ulong OptionSupportedEphemeralGroup = 0x15;
    public const ulong OptionStaticPublicKey = 0x1D;

    public const int FingerprintLength = 32;

    private readonly byte[] _encoded;
    private readonly byte[] _fingerprint;
    private readonly byte[]? _hostname;
    private readonly ulong[] _ephemeralGroups;
    private readonly (ulong Group, int Offset, int Length)[] _staticKeys;

    private FlashCertificate(byte[] encoded, int canonicalLength, byte[]? hostname, bool acceptsAncillaryData,
        ulong[] ephemeralGroups, (ulong, int, int)[] staticKeys)
    {
        _encoded = encoded;
        CanonicalLength = canonicalLength;
        _fingerprint = SHA256.HashData(encoded.AsSpan(0, canonicalLength));
        _hostname = hostname;
        AcceptsAncillaryData = acceptsAncillaryData;
        _ephemeralGroups = ephemeralGroups;
        _staticKeys = staticKeys;
    }

    /// <summary>The certificate bytes exactly as carried on the wire.</summary>
    public ReadOnlySpan<byte> Encoded => _encoded;

    public int CanonicalLength { get; }

    /// <summary>SHA-256 of the canonical section: the endpoint's peer ID (RFC 7425 §4.3.2).</summary>
    public ReadOnlySpan<byte> Fingerprint => _fingerprint;

    public bool HasHostname => _hostname is not null;
    public ReadOnlySpan<byte> Hostname => _hostname;
    public bool AcceptsAncillaryData { get; }

    /// <summary>Groups of Supported Ephemeral DH Group options (0x15), in certificate order.</summary>
    public IReadOnlyList<ulong> EphemeralGroups => _ephemeralGroups;

    /// <summary>Groups that have a Static DH Public Key option (0x1D), in certificate order.</summary>
    public IEnumerable<ulong> StaticKeyGroups => _staticKeys.Select(k => k.Group);

    /// <summary>The certificate uses static DH keys (RFC 7425 §4.3.3.5) rather than ephemeral ones.</summary>
    public bool IsStatic => _staticKeys.Length > 0;

    /// <summary>
    /// Parses a certificate. Fails on malformed options or option values, a duplicated Hostname, or
    /// a canonical section mixing static keys with ephemeral groups (RFC 7425 §4.3.3.4/§4.3.3.5).
    /// Unknown options are ignored; options after the first marker only count for the encoding.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> encoded, [NotNullWhen(true)] out FlashCertificate? certificate)
    {
        certificate = null;
        var reader = new WireReader(encoded);
        bool markerFound = false;
        int canonicalLength = 0;
        byte[]? hostname = null;
        bool acceptsAncillary = false;
        List<ulong>? groups = null;
        List<(ulong, int, int)>? keys = null;
        while (!reader.IsEmpty)
        {
            if (!OptionCodec.TryRead(ref reader, out Option option))
            {
                return false;
            }
            if (option.IsMarker)
            {
                markerFound = true;
                continue;
            }
            if (markerFound)
            {
                continue; // RFC 7425 §4.3.3: canonical-only options are ignored after the marker.
            }
            canonicalLength = reader.Position;
            switch (option.Type)
            {
                case OptionHostname:
                    if (hostname is not null)
                    {
                        return false;
                    }
                    hostname = option.Value.ToArray();
                    break;
                case OptionAcceptsAncillaryData:
                    acceptsAncillary = true;
                    break;
                case OptionSupportedEphemeralGroup:
                    if (!Vlu.TryReadExact(option.Value, out ulong group))
                    {
                        return false;
                    }
                    (groups ??= []).Add(group);
                    break;
                case OptionStaticPublicKey:
                    if (!Vlu.TryRead(option.Value, out ulong keyGroup, out int groupLength) || groupLength == option.Value.Length)
                    {
                        return false;
                    }
                    // Offset of the key inside the encoded certificate (the value is a slice of it).
                    int valueEnd = reader.Position;
                    int keyLength = option.Value.Length - groupLength;
                    (keys ??= []).Add((keyGroup, valueEnd - keyLength, keyLength));
                    break;
            }
        }
        if (groups is not null && keys is not null)
        {
            return false;
        }
        certificate = new FlashCertificate(encoded.ToArray(), canonicalLength, hostname, acceptsAncillary,
            groups?.ToArray() ?? [], keys?.ToArray() ?? []);
        return true;
    }

    /// <summary>The static public key for <paramref name="groupId"/> (the first, if repeated: RFC 7425 §4.3.3.5 leaves more undefined).</summary>
    public bool TryGetStaticPublicKey(ulong groupId, out ReadOnlySpan<byte> publicKey)
    {
        foreach (var (group, offset, length) in _staticKeys)
        {
            if (group == groupId)
            {
                publicKey = _encoded.AsSpan(offset, length);
                return true;
            }
        }
        publicKey = default;
        return false;
    }

    /// <summary>Whether the certificate offers <paramref name="groupId"/> (static key or ephemeral group).</summary>
    public bool SupportsGroup(ulong groupId) =>
        IsStatic ? TryGetStaticPublicKey(groupId, out _) : Array.IndexOf(_ephemeralGroups, groupId) >= 0;

    /// <summary>The 34-byte Canonical EPD <c>21 0F fingerprint</c> (RFC 7425 §4.4.4).</summary>
    public byte[] GetCanonicalEndpointDiscriminator() => EndpointDiscriminator.CreateCanonical(Fingerprint);

    /// <summary>RFC 7425 §4.3.7 session override: a new session overrides an existing one only with an identical certificate.</summary>
    public bool Overrides(FlashCertificate existing) => Encoded.SequenceEqual(existing.Encoded);

    /// <summary>
    /// An ephemeral-keying certificate, server style: [Hostname], [Accepts Ancillary Data], Extra
    /// Randomness, then one Supported Ephemeral Group per group. With accepts-ancillary-data, 64
    /// bytes of randomness and groups 2, 5, 14 this is the 77-byte layout Flash clients expect.
    /// </summary>
    public static byte[] BuildEphemeral(IEnumerable<ulong> groups, bool acceptsAncillaryData, ReadOnlySpan<byte> extraRandomness, string? hostname = null)
    {
        byte[]? host = HostnameBytes(hostname);
        ulong[] groupList = groups.ToArray();
        int length = LeadingOptionsLength(host, acceptsAncillaryData);
        if (!extraRandomness.IsEmpty)
        {
            length += OptionCodec.GetLength(OptionExtraRandomness, extraRandomness.Length);
        }
        foreach (ulong g in groupList)
        {
            length += OptionCodec.GetVluOptionLength(OptionSupportedEphemeralGroup, g);
        }
        var result = new byte[length];
        var writer = new WireWriter(result);
        WriteLeadingOptions(ref writer, host, acceptsAncillaryData);
        if (!extraRandomness.IsEmpty)
        {
            OptionCodec.Write(ref writer, OptionExtraRandomness, extraRandomness);
        }
        foreach (ulong g in groupList)
        {
            OptionCodec.WriteVluOption(ref writer, OptionSupportedEphemeralGroup, g);
        }
        return result;
    }

    /// <summary>
    /// A static-keying certificate, Flash client/peer style: one Static DH Public Key option per key
    /// (RFC 7425 §4.3.3.5), e.g. <c>81 02 1D 02 &lt;128-byte key&gt;</c> for a single group-2 key.
    /// </summary>
    public static byte[] BuildStatic(IEnumerable<DiffieHellmanKeyPair> keys, bool acceptsAncillaryData = false, string? hostname = null)
    {
        DiffieHellmanKeyPair[] list = keys.ToArray();
        byte[]? host = HostnameBytes(hostname);
        int length = LeadingOptionsLength(host, acceptsAncillaryData);
        foreach (var key in list)
        {
            length += OptionCodec.GetLength(OptionStaticPublicKey, Vlu.GetLength(key.Group.Id) + key.PublicKey.Length);
        }
        var result = new byte[length];
        var writer = new WireWriter(result);
        WriteLeadingOptions(ref writer, host, acceptsAncillaryData);
        foreach (var key in list)
        {
            KeyingOptionWriter.WriteGroupAndKey(ref writer, OptionStaticPublicKey, key.Group.Id, key.PublicKey);
        }
        return result;
    }

    private static byte[]? HostnameBytes(string? hostname) => hostname is null ? null : System.Text.Encoding.UTF8.GetBytes(hostname);

    /// <summary>Both certificate builders start with [Hostname] then [Accepts Ancillary Data] (RFC 7425 §4.3.3).</summary>
    private static int LeadingOptionsLength(byte[]? host, bool acceptsAncillaryData)
        => (host is null ? 0 : OptionCodec.GetLength(OptionHostname, host.Length))
            + (acceptsAncillaryData ? OptionCodec.GetLength(OptionAcceptsAncillaryData, 0) : 0);

    private static void WriteLeadingOptions(ref WireWriter writer, byte[]? host, bool acceptsAncillaryData)
    {
        if (host is not null)
        {
            OptionCodec.Write(ref writer, OptionHostname, host);
        }
        if (acceptsAncillaryData)
        {
            OptionCodec.Write(ref writer, OptionAcceptsAncillaryData, default);
        }
    }
}
