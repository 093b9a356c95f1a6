using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Crypto;

/// <summary>
/// A Flash-profile Endpoint Discriminator (RFC 7425 §4.4): options Required Hostname (0x00),
/// Ancillary Data (0x0A, the server URI) and Fingerprint (0x0F). A non-allocating view over the
/// EPD bytes, so a stateless responder can test IHellos without allocating.
/// </summary>
public readonly ref struct EndpointDiscriminator
{
    public const ulong OptionRequiredHostname = 0x00;
    public const ulong OptionAncillaryData = 0x0A;
    public const ulong OptionFingerprint = 0x0F;

    /// <summary>Length of a Canonical EPD: 0x21 0x0F and 32 fingerprint bytes (RFC 7425 §4.4.4).</summary>
    public const int CanonicalLength = 34;

    private EndpointDiscriminator(ReadOnlySpan<byte> fingerprint, bool hasFingerprint, ReadOnlySpan<byte> hostname, bool hasHostname,
        ReadOnlySpan<byte> ancillaryData, bool hasAncillaryData)
    {
        Fingerprint = fingerprint;
        HasFingerprint = hasFingerprint;
        RequiredHostname = hostname;
        HasRequiredHostname = hasHostname;
        AncillaryData = ancillaryData;
        HasAncillaryData = hasAncillaryData;
    }

    public bool HasFingerprint { get; }
    public ReadOnlySpan<byte> Fingerprint { get; }
    public bool HasRequiredHostname { get; }
    public ReadOnlySpan<byte> RequiredHostname { get; }
    public bool HasAncillaryData { get; }

    /// <summary>In this profile the UTF-8 URI the client connects to, e.g. rtmfp://host/app (RFC 7425 §4.4.2.2).</summary>
    public ReadOnlySpan<byte> AncillaryData { get; }

    /// <summary>
    /// Parses an EPD (a sequence of options, no terminating marker). Fails on malformed options and
    /// on a repeated known option (each MUST NOT occur more than once). Unknown types are ignored.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> encoded, out EndpointDiscriminator epd)
    {
        epd = default;
        var reader = new WireReader(encoded);
        ReadOnlySpan<byte> fingerprint = default, hostname = default, ancillary = default;
        bool hasFingerprint = false, hasHostname = false, hasAncillary = false;
        while (!reader.IsEmpty)
        {
            if (!OptionCodec.TryRead(ref reader, out Option option))
            {
                return false;
            }
            if (option.IsMarker)
            {
                continue;
            }
            bool once = option.Type switch
            {
                OptionFingerprint => TakeOnce(ref hasFingerprint, ref fingerprint, option.Value),
                OptionRequiredHostname => TakeOnce(ref hasHostname, ref hostname, option.Value),
                OptionAncillaryData => TakeOnce(ref hasAncillary, ref ancillary, option.Value),
                _ => true,
            };
            if (!once)
            {
                return false;
            }
        }
        epd = new EndpointDiscriminator(fingerprint, hasFingerprint, hostname, hasHostname, ancillary, hasAncillary);
        return true;
    }

    /// <summary>Keeps an option's value the first time; false when it comes again (a repeated EPD option fails the parse).</summary>
    private static bool TakeOnce(ref bool seen, ref ReadOnlySpan<byte> field, ReadOnlySpan<byte> value)
    {
        if (seen)
        {
            return false;
        }
        seen = true;
        field = value;
        return true;
    }

    /// <summary>RFC 7425 §4.4.3 (Figure 1): whether this EPD selects <paramref name="certificate"/>.</summary>
    public bool Selects(FlashCertificate certificate)
    {
        if (HasFingerprint)
        {
            return Fingerprint.SequenceEqual(certificate.Fingerprint);
        }
        if (HasRequiredHostname && (!certificate.HasHostname || !certificate.Hostname.SequenceEqual(RequiredHostname)))
        {
            return false;
        }
        if (HasAncillaryData)
        {
            return certificate.AcceptsAncillaryData;
        }
        return HasRequiredHostname;
    }

    /// <summary>Parses <paramref name="encoded"/> and tests selection; a malformed EPD selects nothing.</summary>
    public static bool Selects(ReadOnlySpan<byte> encoded, FlashCertificate certificate) =>
        TryParse(encoded, out var epd) && epd.Selects(certificate);

    /// <summary>Whether the bytes are exactly a Canonical EPD (one-byte length 0x21 and type 0x0F, RFC 7425 §4.4.4).</summary>
    public static bool IsCanonical(ReadOnlySpan<byte> encoded) =>
        encoded.Length == CanonicalLength && encoded[0] == 0x21 && encoded[1] == 0x0F;

    /// <summary>Writes the Canonical EPD for a fingerprint into a 34-byte destination.</summary>
    public static void WriteCanonical(ReadOnlySpan<byte> fingerprint, Span<byte> destination)
    {
        if (fingerprint.Length != FlashCertificate.FingerprintLength)
        {
            throw new ArgumentException("fingerprint must be 32 bytes", nameof(fingerprint));
        }
        destination[0] = 0x21;
        destination[1] = 0x0F;
        fingerprint.CopyTo(destination[2..CanonicalLength]);
    }

    public static byte[] CreateCanonical(ReadOnlySpan<byte> fingerprint)
    {
        var result = new byte[CanonicalLength];
        WriteCanonical(fingerprint, result);
        return result;
    }

    /// <summary>The EPD a client sends to a server: one Ancillary Data option with the URI (RFC 7425 §5.3.1).</summary>
    public static byte[] CreateForUri(string uri) => Create(default, default, System.Text.Encoding.UTF8.GetBytes(uri));

    /// <summary>An EPD with any of the three options (empty spans are omitted).</summary>
    public static byte[] Create(ReadOnlySpan<byte> fingerprint, ReadOnlySpan<byte> requiredHostname, ReadOnlySpan<byte> ancillaryData)
    {
        int length = 0;
        if (!fingerprint.IsEmpty)
        {
            length += OptionCodec.GetLength(OptionFingerprint, fingerprint.Length);
        }
        if (!requiredHostname.IsEmpty)
        {
            length += OptionCodec.GetLength(OptionRequiredHostname, requiredHostname.Length);
        }
        if (!ancillaryData.IsEmpty)
        {
            length += OptionCodec.GetLength(OptionAncillaryData, ancillaryData.Length);
        }
        var result = new byte[length];
        var writer = new WireWriter(result);
        if (!fingerprint.IsEmpty)
        {
            OptionCodec.Write(ref writer, OptionFingerprint, fingerprint);
        }
        if (!requiredHostname.IsEmpty)
        {
            OptionCodec.Write(ref writer, OptionRequiredHostname, requiredHostname);
        }
        if (!ancillaryData.IsEmpty)
        {
            OptionCodec.Write(ref writer, OptionAncillaryData, ancillaryData);
        }
        return result;
    }
}
