using Akka.Actor;
using Rtmfp.Cluster;
using Rtmfp.Flash;
using Rtmfp.Shared.Wire;
using Address = Rtmfp.Shared.Wire.Address;

namespace Rtmfp.Sessions.Rendezvous;

/// <summary>
/// One session's part in rendezvous (RFC 7016 §3.5.1.6, RFC 7425 §5.4): its connected Flash client is findable
/// by peer ID in the sharded peer directory (registered while connected, again after the directory entry
/// restarts, withdrawn at the end), and a lookup the directory forwards here is answered when the client's
/// application agrees. Driven by the session actor's thread only.
/// </summary>
internal sealed class SessionRendezvous(IActorRef? directory, PeerDirectory localPeers)
{
    private byte[]? _registeredPeerId;

    /// <summary>A connected Flash client is findable by its peer ID (RFC 7425 §5.4.1); a closed one is not.</summary>
    public void Update(NetConnection? connection)
    {
        if (directory is null || connection is not { PeerId: { } peerId })
        {
            return;
        }
        bool connected = connection.State == NetConnectionState.Connected;
        if (connected && _registeredPeerId is null)
        {
            _registeredPeerId = peerId.ToArray();
            directory.Tell(new RegisterPeer(_registeredPeerId));
        }
        else if (!connected && _registeredPeerId is not null)
        {
            directory.Tell(new UnregisterPeer(_registeredPeerId));
            _registeredPeerId = null;
        }
    }

    /// <summary>The directory entity stopped (hand-off, rebalance): register with its next incarnation.</summary>
    public void OnDirectoryStopped()
    {
        if (_registeredPeerId is not null)
        {
            directory?.Tell(new RegisterPeer(_registeredPeerId));
        }
    }

    public void Leave()
    {
        if (_registeredPeerId is not null)
        {
            directory?.Tell(new UnregisterPeer(_registeredPeerId));
            _registeredPeerId = null;
        }
    }

    /// <summary>
    /// RFC 7016 §3.5.1.6: an initiator asked a gateway for our client. If our connected client's application
    /// agrees, <paramref name="redirect"/> is the Responder Redirect startup packet listing our client's addresses
    /// (for the gateway to send to the initiator) and <paramref name="introduction"/> gives the FIHello our client
    /// gets in its own session.
    /// </summary>
    public bool TryAnswer(LookupPeer lookup, NetConnection? connection, long nowMs, out byte[] redirect, out PeerIntroduction introduction)
    {
        redirect = [];
        introduction = default;
        if (connection is not { State: NetConnectionState.Connected }
            || lookup.Tag.Length is 0 or > LookupPeer.MaxTagLength
            || !Address.TryFromSocketAddress(lookup.Initiator, AddressOrigin.Observed, out var initiator)
            || localPeers.Lookup(lookup.PeerId, initiator, out introduction) != PeerLookupOutcome.Introduced)
        {
            return false;
        }
        Span<Address> addresses = stackalloc Address[Math.Clamp(introduction.MaxAddresses, 1, 32)];
        int n = introduction.GetRedirectAddresses(addresses);
        redirect = StartupPacketWriter.Redirect(nowMs, lookup.Tag, addresses[..n]);
        return true;
    }
}
