using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Gateway.Handshake;

/// <summary>
/// An RHello Cookie Change written into the caller's buffer (<see cref="Length"/> bytes), to send under the default
/// key with the IIKeying's initiator session ID (RFC 7016 §2.3.6).
/// </summary>
internal readonly record struct CookieChangeReply(uint SessionId, int Length)
{
    /// <summary>Our cookies are 64 bytes, old and new.</summary>
    public const int MaxLength = StartupPacket.HeaderLength + PacketLimits.ChunkHeaderLength + 1 + 2 * CookieJar.CookieLength;
}
