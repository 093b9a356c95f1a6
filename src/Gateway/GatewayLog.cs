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

    [LoggerMessage(1003, LogLevel.Warning, "shutdown: {Count} of {Asked} sessions still open after the grace period ({Seconds} s, Rtmfp:Shutdown:GracePeriod); their clients will time out")]
    public static partial void StoppingWithSessions(this ILogger logger, int count, int asked, double seconds);

    [LoggerMessage(1004, LogLevel.Information, "shutdown: {Count} sessions closed in {Milliseconds} ms; no new handshakes")]
    public static partial void SessionsClosed(this ILogger logger, int count, long milliseconds);

    [LoggerMessage(1005, LogLevel.Information, "gateway leaving with {Count} sessions open: another gateway of the cluster serves them")]
    public static partial void LeavingSessionsOpen(this ILogger logger, int count);

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

    [LoggerMessage(1021, LogLevel.Warning, "handshake overload: the keying queue is full (Rtmfp:Gateway:HandshakeQueueLimit {Limit}, {Workers} workers); {Dropped} IIKeyings dropped in the last {Seconds} s, their initiators retransmit")]
    public static partial void HandshakeOverload(this ILogger logger, int limit, int workers, long dropped, double seconds);

    [LoggerMessage(1020, LogLevel.Warning, "dropping an IIKeying after {Probes} session ID collisions")]
    public static partial void TooManyCollisions(this ILogger logger, int probes);
}
