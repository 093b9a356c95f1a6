using System.Net.Sockets;
using Akka.Remote;

namespace Rtmfp.Node;

/// <summary>
/// Turns a startup exception the operator can act on into one line naming the setting to change, instead of an
/// unhandled exception (exit 134) with a five-deep AggregateException.
/// </summary>
internal static class StartupFailure
{
    /// <summary>The operator's message, or null when the exception is not one we can explain.</summary>
    public static string? Describe(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is AggregateException aggregate && aggregate.InnerExceptions.Count == 1)
            {
                continue;
            }
            if (e is RemoteTransportException remote && remote.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
            {
                // "Failed to bind to [127.0.0.1:4053]. …": keep the address Akka names.
                string message = remote.Message;
                int open = message.IndexOf('['), close = message.IndexOf(']');
                string address = open >= 0 && close > open ? message[(open + 1)..close] : "its port";
                return $"Rtmfp:Cluster:Port: Akka remoting cannot listen on {address}: the address is in use "
                    + "(another node on this machine? give each node its own Rtmfp:Cluster:Port, or 0 for any free port)";
            }
        }
        return null;
    }
}
