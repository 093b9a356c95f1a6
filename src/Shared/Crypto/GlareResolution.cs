namespace Rtmfp.Shared.Crypto;

/// <summary>RFC 7425 §4.3.6 glare resolution between two certificates.</summary>
internal static class GlareResolution
{
    /// <summary>
    /// The near end prevails as Initiator iff its certificate is ordered before or equal to the far
    /// one: unsigned byte-wise lexicographic order, a proper prefix ordered first. Compares whole
    /// certificates, not peer IDs (librtmfp's peer-ID comparison is not the RFC rule).
    /// </summary>
    public static bool NearPrevails(ReadOnlySpan<byte> nearCertificate, ReadOnlySpan<byte> farCertificate) =>
        nearCertificate.SequenceCompareTo(farCertificate) <= 0;
}
