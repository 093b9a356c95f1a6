using Akka.Actor;
using Akka.Cluster.Sharding;
using Rtmfp.Cluster;
using Rtmfp.Flash;
using Rtmfp.Shared.Wire;
using Address = Rtmfp.Shared.Wire.Address;

namespace Rtmfp.Sessions.Rendezvous;

/// <summary>
/// The sharded rendezvous entry of one peer ID (RFC 7016 §3.5.1.6; docs/protocol-notes.md §4): which session actor
/// serves that Flash client. A <see cref="LookupPeer"/> is forwarded, sender kept, to that session,
/// which authorizes it, answers the gateway with the Redirect and sends the FIHello itself (it knows the
/// addresses). An entity with no session passivates at once, so lookups of random IDs leave nothing behind.
/// The first live registration keeps the peer ID: a second session claiming it (a replayed certificate gives
/// the same ID, RFC 7425 §4.3.2) waits, and is served only once the first has left (security review, finding 11).
/// A peer ID whose last session left is remembered as departed for <see cref="DefaultDepartedMemory"/>: a lookup then
/// gets a Redirect listing only the wildcard address, which tells NetGroup members (librtmfp, as with MonaServer)
/// that the peer is gone, so they stop retrying it at once instead of after 11 attempts (docs/groups.md §2.4).
/// </summary>
internal sealed class PeerDirectoryActor : ReceiveActor, IWithTimers
{
    /// <summary>How long a departed peer ID is answered with the wildcard Redirect (librtmfp retries a peer for about 100 s).</summary>
    public static readonly TimeSpan DefaultDepartedMemory = TimeSpan.FromMinutes(2);

    private sealed class DepartedExpired
    {
        public static readonly DepartedExpired Instance = new();
    }

    private readonly TimeSpan _departedMemory;
    private bool _departed;
    private bool _hadSession;

    private readonly byte[] _peerId;
    /// <summary>
    /// Sessions that claimed the peer ID while another held it, in order; at most this many wait, as in a node's own
    /// <see cref="PeerDirectory"/>.
    /// </summary>
    internal const int MaxWaiting = PeerDirectory.MaxWaiting;

    private readonly List<IActorRef> _waiting = [];
    private IActorRef? _session;
    private bool _passivating;

    public PeerDirectoryActor(string entityId) : this(entityId, DefaultDepartedMemory)
    {
    }

    public PeerDirectoryActor(string entityId, TimeSpan departedMemory)
    {
        _peerId = TryParse(entityId);
        _departedMemory = departedMemory;

        Receive<RegisterPeer>(_ =>
        {
            if (_session is null)
            {
                _session = Sender;
                Context.Watch(_session);
                _hadSession = true;
                _departed = false;
                Timers.Cancel(nameof(DepartedExpired));
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
            if (_session is null && _departed)
            {
                AnswerDeparted(lookup);
                return;
            }
            if (_session is null)
            {
                PassivateIfEmpty(); // unknown peer: ignored, as RFC 7016 §3.5.1.1.2 says
                return;
            }
            _session.Forward(lookup);
        });
        Receive<DepartedExpired>(_ =>
        {
            _departed = false;
            _hadSession = false;
            PassivateIfEmpty();
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

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>A wildcard-only Responder Redirect (RFC 7016 §2.3.5 with one unspecified address): "this peer is gone".</summary>
    private void AnswerDeparted(LookupPeer lookup)
    {
        if (lookup.Tag.Length is 0 or > LookupPeer.MaxTagLength)
        {
            return;
        }
        ReadOnlySpan<Address> wildcard = [Address.FromIPv4(0, 0, AddressOrigin.Unknown)];
        Sender.Tell(new PeerRedirect(StartupPacketWriter.Redirect(Environment.TickCount64, lookup.Tag, wildcard), lookup.Initiator));
    }

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
        if (_session is null && !_passivating && _hadSession && !_departed && _departedMemory > TimeSpan.Zero)
        {
            // The peer left: remember it as departed for a while before passivating.
            _departed = true;
            Timers.StartSingleTimer(nameof(DepartedExpired), DepartedExpired.Instance, _departedMemory);
            return;
        }
        if (_session is null && !_passivating && !_departed)
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
