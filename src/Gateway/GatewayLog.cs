using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Rtmfp.Gateway;

/// <summary>The gateway's log events: source-generated (no boxing, no formatting unless enabled), each with its own ID.</summary>
internal static partial class GatewayLog
{
    [LoggerMessage(1001, LogLevel.Information, "RTMFP listening on udp {Endpoint}")]
    public static partial void Listening(this ILogger logger, EndPoint? endpoint);

    [LoggerMessage(1002, LogLevel.Warning, "IPv6 is not available here; not listening on {Endpoint}")]
    public static partial void NoIPv6(this ILogger logger, IPEndPoint endpoint);

    [LoggerMessage(1004, LogLevel.Information, "gateway leaving with {Count} sessions open: another gateway of the cluster serves them")]
    public static partial void LeavingSessionsOpen(this ILogger logger, int count);

    [LoggerMessage(1003, LogLevel.Information, "gateway stopping with {Count} sessions still open")]
    public static partial void StoppingWithSessions(this ILogger logger, int count);

    [LoggerMessage(1010, LogLevel.Information, "UDP segmentation refused on {Endpoint} (errno {Errno}): sending datagrams one by one")]
    public static partial void SegmentationRefused(this ILogger logger, EndPoint? endpoint, int errno);

    [LoggerMessage(1011, LogLevel.Debug, "UDP segmented send to {Address} failed: errno {Errno}")]
    public static partial void SegmentedSendFailed(this ILogger logger, SocketAddress address, int errno);

    [LoggerMessage(1012, LogLevel.Debug, "UDP send to {Address} failed: {Error}")]
    public static partial void SendFailed(this ILogger logger, SocketAddress address, SocketError error);

    [LoggerMessage(1013, LogLevel.Debug, "UDP receive error {Error}")]
    public static partial void ReceiveFailed(this ILogger logger, SocketError error);

    [LoggerMessage(1014, LogLevel.Error, "datagram handler failed")]
    public static partial void HandlerFailed(this ILogger logger, Exception exception);

    [LoggerMessage(1015, LogLevel.Error, "handshake worker failed")]
    public static partial void HandshakeWorkerFailed(this ILogger logger, Exception exception);

    [LoggerMessage(1020, LogLevel.Warning, "dropping an IIKeying after {Probes} session ID collisions")]
    public static partial void TooManyCollisions(this ILogger logger, int probes);
}
