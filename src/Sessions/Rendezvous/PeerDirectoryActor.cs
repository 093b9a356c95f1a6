using Akka.Actor;
using Akka.Cluster.Sharding;
using Rtmfp.Cluster;

namespace Rtmfp.Sessions.Rendezvous;

/// <summary>
/// The sharded rendezvous entry of one peer ID (RFC 7016 §3.5.1.6; docs/protocol-notes.md §4): which session actor
/// serves that Flash client. A <see cref="LookupPeer"/> is forwarded, sender kept, to that session,
/// which authorizes it, answers the gateway with the Redirect and sends the FIHello itself (it knows the
/// addresses). An entity with no session passivates at once, so lookups of random IDs leave nothing behind.
/// </summary>
internal sealed class PeerDirectoryActor : ReceiveActor
{
    private readonly byte[] _peerId;
    private IActorRef? _session;
    private bool _passivating;

    public PeerDirectoryActor(string entityId)
    {
        _peerId = TryParse(entityId);

        Receive<RegisterPeer>(_ =>
        {
            if (_session is not null && !_session.Equals(Sender))
            {
                Context.Unwatch(_session); // the newest connection with this peer ID wins
            }
            _session = Sender;
            Context.Watch(_session);
        });
        Receive<UnregisterPeer>(_ =>
        {
            if (Sender.Equals(_session))
            {
                Context.Unwatch(_session);
                _session = null;
            }
            PassivateIfEmpty();
        });
        Receive<LookupPeer>(lookup =>
        {
            if (_session is null)
            {
                PassivateIfEmpty(); // unknown peer: ignored, as RFC 7016 §3.5.1.1.2 says
                return;
            }
            _session.Forward(lookup);
        });
        Receive<Terminated>(t =>
        {
            if (t.ActorRef.Equals(_session))
            {
                _session = null;
            }
            PassivateIfEmpty();
        });
    }

    public bool HasSession => _session is not null;

    private void PassivateIfEmpty()
    {
        if (_session is null && !_passivating)
        {
            _passivating = true;
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
        }
    }

    protected override void PostStop()
    {
        // A registration lost to the passivation race, or a hand-off: the session registers again.
        _session?.Tell(new PeerDirectoryStopped(_peerId), ActorRefs.NoSender);
        base.PostStop();
    }

    private static byte[] TryParse(string entityId)
    {
        try
        {
            return Convert.FromHexString(entityId);
        }
        catch (FormatException)
        {
            return [];
        }
    }
}
