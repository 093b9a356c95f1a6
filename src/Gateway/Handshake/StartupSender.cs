using System.Net;
using Rtmfp.Gateway.Transport;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Gateway.Handshake;

/// <summary>
/// Where the gateway's startup packets leave (RHello, RHello Cookie Change, RIKeying, Redirect): under the
/// Default Session Key with their session ID (RFC 7016 §2.2.2), from any thread, without allocating.
/// </summary>
internal static class StartupSender
{
    [ThreadStatic]
    private static byte[]? t_datagram;

    public static void Send(UdpEndpoint endpoint, ReadOnlySpan<byte> plainPacket, uint sessionId, SocketAddress to, RtmfpMetrics metrics) =>
        Send(endpoint, plainPacket, sessionId, to, metrics, null, 0);

    /// <summary>
    /// Sends unless <paramref name="guard"/> refuses the datagram's bytes to <paramref name="to"/> (an unverified address
    /// that has not earned them, RFC 7016 §5). False when nothing was sent.
    /// </summary>
    public static bool Send(UdpEndpoint endpoint, ReadOnlySpan<byte> plainPacket, uint sessionId, SocketAddress to, RtmfpMetrics metrics,
        SourceGuard? guard, long nowMs)
    {
        if (plainPacket.Length > PacketLimits.MaxStartupPacketLength)
        {
            return false;
        }
        var datagram = t_datagram ??= new byte[StartupDatagram.MaxLength];
        int length = StartupDatagram.Write(plainPacket, sessionId, datagram);
        if (guard is not null && !guard.TrySend(to, length, nowMs, out string? refusal))
        {
            metrics.StartupRefused(refusal!);
            return false;
        }
        endpoint.SendTo(datagram.AsSpan(0, length), to, metrics);
        return true;
    }
}
