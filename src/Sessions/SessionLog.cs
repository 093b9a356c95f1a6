using System.Net;
using Microsoft.Extensions.Logging;
using Rtmfp.Engine;

namespace Rtmfp.Sessions;

/// <summary>
/// The sessions role's Information lines (source-generated, each with its event ID): a session opened and closed with
/// its cause (RFC 7016 §3.5.5). Written only when the host gave the role a logger (<see cref="SessionsRoleOptions.Loggers"/>).
/// </summary>
internal static partial class SessionLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "session {SessionId:x8} opened from {Address}")]
    private static partial void Opened(ILogger logger, uint sessionId, EndPoint? address);

    public static void Opened(ILogger logger, uint sessionId, System.Net.SocketAddress address)
    {
        if (!logger.IsEnabled(LogLevel.Information))
        {
            return;
        }
        EndPoint? endpoint;
        try
        {
            var template = address.Family == System.Net.Sockets.AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
            endpoint = template.Create(address);
        }
        catch (ArgumentException)
        {
            endpoint = null;
        }
        Opened(logger, sessionId, endpoint);
    }

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "session {SessionId:x8} closed: {Cause}")]
    public static partial void Closed(ILogger logger, uint sessionId, string cause);

    public static string Describe(SessionCloseCause cause) => cause switch
    {
        SessionCloseCause.Local => "closed by this node",
        SessionCloseCause.LocalAbort => "aborted by this node",
        SessionCloseCause.IdleTimeout => "idle timeout (nothing received)",
        SessionCloseCause.FarClose => "closed by the client",
        SessionCloseCause.FarAbort => "aborted by the client",
        _ => "unknown",
    };
}
