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
        // An operator's close is the one a gateway asks for: the session closes in order (RFC 7016 §3.5.5). The entry
        // keeps the ID and the actor, not the OpenSession with its keying material (issue 9: heap per idle session).
        return directory.AddSession(open.SessionId, open.FarPeerId, open.FarAddress, self, CloseCallback);
    }

    private static readonly Action<object, uint> CloseCallback = static (self, sessionId) => ((IActorRef)self).Tell(new CloseSession(sessionId));

    /// <summary>Fills in what the session learns after opening (its application, once connected); cheap when known.</summary>
    public static void Update(SessionEntry? entry, NetConnection? connection)
    {
        if (entry is { Application: null } && connection is { State: NetConnectionState.Connected, ApplicationName: { } app })
        {
            entry.Application = app;
        }
    }
}
