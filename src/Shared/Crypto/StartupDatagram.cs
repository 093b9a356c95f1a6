using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Crypto;

/// <summary>
/// The one way a plain startup packet becomes a datagram (RFC 7016 §2.2.2, §2.2.3): encrypted with the Default
/// Session Key (RFC 7425 §4.1) behind its scrambled session ID, which is 0 for IHello, RHello, Redirect and
/// IIKeying and the initiator's session ID for RHello Cookie Change and RIKeying. Each thread encrypts with its
/// own default-key context (contexts are single-threaded), so this allocates only on a thread's first use.
/// </summary>
public static class StartupDatagram
{
    /// <summary>The largest datagram <see cref="Write"/> produces (a plain packet up to <see cref="PacketLimits.MaxStartupPacketLength"/>).</summary>
    public const int MaxLength = PacketLimits.SessionIdLength + PacketLimits.MaxStartupPacketLength + SessionCryptoContext.MaxOverhead;

    [ThreadStatic]
    private static SessionCryptoContext? t_defaultKey;

    /// <summary>Writes the datagram for <paramref name="plainPacket"/> into <paramref name="datagram"/> and returns its length.</summary>
    public static int Write(ReadOnlySpan<byte> plainPacket, uint sessionId, Span<byte> datagram)
    {
        var defaultKey = t_defaultKey ??= SessionCryptoContext.CreateDefault();
        int length = PacketLimits.SessionIdLength + defaultKey.Encrypt(plainPacket, datagram[PacketLimits.SessionIdLength..]);
        Multiplex.ScrambleSessionId(datagram[..length], sessionId);
        return length;
    }
}
