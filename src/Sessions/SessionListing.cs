using System.Net;
using Akka.Actor;
using Rtmfp.Cluster;
using Rtmfp.Flash;
using Rtmfp.Shared.Operations;

namespace Rtmfp.Sessions;

/// <summary>A session actor's entry in the node's <see cref="NodeDirectory"/> (rtmfp-ops sessions list|show|close).</summary>
internal static class SessionListing
{
    public static SessionEntry? Add(NodeDirectory? directory, OpenSession open, IActorRef self)
    {
        if (directory is null)
        {
            return null;
        }
        var template = new IPEndPoint(open.FarAddress.Family == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        var endpoint = (IPEndPoint)template.Create(open.FarAddress);
        string address = (endpoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endpoint.Address.MapToIPv4(), endpoint.Port) : endpoint).ToString();
        string? peerId = open.FarPeerId.Length > 0 ? Convert.ToHexStringLower(open.FarPeerId) : null;
        // An operator's close is the one a gateway asks for: the session closes in order (RFC 7016 §3.5.5).
        return directory.AddSession(open.SessionId, peerId, address, () => self.Tell(new CloseSession(open.SessionId)));
    }

    /// <summary>Fills in what the session learns after opening (its application, once connected); cheap when known.</summary>
    public static void Update(SessionEntry? entry, NetConnection? connection)
    {
        if (entry is { Application: null } && connection is { State: NetConnectionState.Connected, ApplicationName: { } app })
        {
            entry.Application = app;
        }
    }
}
