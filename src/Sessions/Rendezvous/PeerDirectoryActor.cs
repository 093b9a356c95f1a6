using Akka.Actor;
using Akka.Cluster.Sharding;
using Rtmfp.Cluster;

namespace Rtmfp.Sessions.Rendezvous;

/// <summary>
/// The sharded rendezvous entry of one peer ID (RFC 7016 §3.5.1.6; docs/protocol-notes.md §4): which session actor
/// serves that Flash client. A <see cref="LookupPeer"/> is forwarded, sender kept, to that session,
/// which authorizes it, answers the gateway with the Redirect and sends the FIHello itself (it knows the
/// addresses). An entity with no session passivates at once, so lookups of random IDs leave nothing behind.
/// The first live registration keeps the peer ID: a second session claiming it (a replayed certificate gives
/// the same ID, RFC 7425 §4.3.2) waits, and is served only once the first has left (security review, finding 11).
/// </summary>
internal sealed class PeerDirectoryActor : ReceiveActor
{
    private readonly byte[] _peerId;
    /// <summary>Sessions that claimed the peer ID while another held it, in order; at most this many wait.</summary>
    internal const int MaxWaiting = 4;

    private readonly List<IActorRef> _waiting = [];
    private IActorRef? _session;
    private bool _passivating;

    public PeerDirectoryActor(string entityId)
    {
        _peerId = TryParse(entityId);

        Receive<RegisterPeer>(_ =>
        {
            if (_session is null)
            {
                _session = Sender;
                Context.Watch(_session);
            }
            else if (!_session.Equals(Sender) && !_waiting.Contains(Sender) && _waiting.Count < MaxWaiting)
            {
                _waiting.Add(Sender); // the first live registration keeps the ID
                Context.Watch(Sender);
            }
        });
        Receive<UnregisterPeer>(_ =>
        {
            if (Sender.Equals(_session))
            {
                Context.Unwatch(_session);
                Promote();
            }
            else if (_waiting.Remove(Sender))
            {
                Context.Unwatch(Sender);
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
                Promote();
            }
            else
            {
                _waiting.Remove(t.ActorRef);
            }
            PassivateIfEmpty();
        });
    }

    public bool HasSession => _session is not null;

    /// <summary>The holder left: the longest-waiting session takes the peer ID, if any.</summary>
    private void Promote()
    {
        _session = null;
        if (_waiting.Count > 0)
        {
            _session = _waiting[0];
            _waiting.RemoveAt(0);
        }
    }

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
        foreach (var waiting in _waiting)
        {
            waiting.Tell(new PeerDirectoryStopped(_peerId), ActorRefs.NoSender);
        }
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
