using System.Buffers.Binary;

namespace Rtmfp.Shared.Flash;

/// <summary>[E-RTMP] enhanced audio and video share the ExHeader layout after their first byte.</summary>
internal static class ExHeader
{
    /// <summary>
    /// Reads the FourCC after the first byte. Multitrack and ModEx put other fields before any FourCC; they are
    /// forwarded unparsed (FourCC 0) and need only two bytes.
    /// </summary>
    public static bool TryReadFourCc(ReadOnlySpan<byte> payload, bool isMultitrackOrModEx, out uint fourCc)
    {
        fourCc = 0;
        if (isMultitrackOrModEx)
        {
            return payload.Length >= 2;
        }
        // rtmfp-cpp also requires 5 bytes before treating a message as enhanced.
        if (payload.Length < 5)
        {
            return false;
        }
        fourCc = BinaryPrimitives.ReadUInt32BigEndian(payload[1..]);
        return true;
    }
}
