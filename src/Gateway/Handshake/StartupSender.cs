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

    public static void Send(UdpEndpoint endpoint, ReadOnlySpan<byte> plainPacket, uint sessionId, SocketAddress to, RtmfpMetrics metrics)
    {
        if (plainPacket.Length > PacketLimits.MaxStartupPacketLength)
        {
            return;
        }
        var datagram = t_datagram ??= new byte[StartupDatagram.MaxLength];
        int length = StartupDatagram.Write(plainPacket, sessionId, datagram);
        endpoint.SendTo(datagram.AsSpan(0, length), to, metrics);
    }
}
