using Akka.Actor;
using Rtmfp.Cluster;
using Rtmfp.Shared.Groups;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Sessions.Groups.Seeding;

/// <summary>
/// The server member's stream on one node (docs/groups.md §7): registers with the group's seed source, takes each
/// frame's fragments from it once, and serves them to the members whose sessions with the server member live on this
/// node, with the same logic a .NET member publishing runs (<see cref="GroupMedia"/>: media infos, maps, push on the
/// members' masks, answers to their pulls). One per node and seeded group; its members are session actors here.
/// </summary>
internal sealed class SeedFanoutActor : ReceiveActor, IWithTimers
{
    private sealed class Manage
    {
        public static readonly Manage Instance = new();
    }

    private sealed class Register
    {
        public static readonly Register Instance = new();
    }

    /// <summary>Every member whose mask asks gets a new fragment pushed by the server (it has the bandwidth).</summary>
    private const int PushNeighborLimit = 1 << 16;

    private readonly GroupSeed _seed;
    private readonly Func<IActorRef> _sources;
    private readonly GroupSeedStatistics _statistics;
    private readonly Dictionary<long, SeedLink> _links = [];
    private readonly Random _random = new();
    private GroupMedia? _media;

    public SeedFanoutActor(GroupSeed seed, Func<IActorRef> sources, GroupSeedStatistics statistics)
    {
        _seed = seed;
        _sources = sources;
        _statistics = statistics;
        Receive<SeedFragments>(OnFragments);
        Receive<SeedLinkOpened>(OnLinkOpened);
        Receive<SeedLinkClosed>(m => RemoveLink(m.LinkId));
        Receive<SeedLinkMessage>(OnLinkMessage);
        Receive<Terminated>(OnTerminated);
        Receive<Manage>(_ => _media?.Manage(Environment.TickCount64));
        Receive<Register>(_ => _sources().Tell(new RegisterSeedFanout(_seed.GroupId, Self), Self));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Members linked on this node (tests, diagnostics).</summary>
    public int Links => _links.Count;

    protected override void PreStart()
    {
        Self.Tell(Register.Instance);
        // Re-registering is idempotent; a restarted source (rebalance, a dead node) learns this fan-out within 2 s.
        Timers.StartPeriodicTimer("register", Register.Instance, TimeSpan.FromSeconds(2));
        Timers.StartPeriodicTimer("manage", Manage.Instance, TimeSpan.FromMilliseconds(50));
    }

    private void OnFragments(SeedFragments message)
    {
        _statistics.FanoutReceivedOne();
        long now = Environment.TickCount64;
        if (message.Count == 0)
        {
            if (_media is not null && _media.StreamKey.AsSpan().SequenceEqual(message.StreamKey))
            {
                _media.EndPublication(now); // the publisher stopped: members hear the end (docs/groups.md §6.5)
            }
            return;
        }
        if (_media is null || !_media.StreamKey.AsSpan().SequenceEqual(message.StreamKey))
        {
            StartPublication(message.StreamKey, now);
        }
        var rest = message.Fragments.AsSpan();
        int offset = 0;
        for (int i = 0; i < message.Count; i++)
        {
            if (!Vlu.TryRead(rest[offset..], out ulong length, out int used) || length > (ulong)(rest.Length - offset - used))
            {
                return; // the source wrote it; a bad one is a bug there, not a reason to fail
            }
            offset += used;
            byte[] fragment = rest.Slice(offset, (int)length).ToArray();
            offset += (int)length;
            if (GroupFragment.TryRead(fragment, out var header, out int payloadOffset))
            {
                _media!.PublishFragment(header, fragment, payloadOffset, now);
            }
        }
    }

    /// <summary>A new publication key (the source restarted): members hear the old one end and the new one begin.</summary>
    private void StartPublication(byte[] streamKey, long now)
    {
        _media?.EndPublication(now);
        var old = _media;
        _media = new GroupMedia(_seed.Stream.Name, streamKey, GroupSeed.MediaParameters, isPublisher: true, _random)
        {
            PushNeighborLimit = PushNeighborLimit,
            MapsToAll = true,
        };
        foreach (var link in _links.Values)
        {
            if (link.Peer is { } peer)
            {
                old?.RemovePeer(peer);
            }
            link.Peer = _media.AddPeer(link);
            _media.Offer(link.Peer);
        }
    }

    private void OnLinkOpened(SeedLinkOpened opened)
    {
        if (_links.ContainsKey(opened.LinkId))
        {
            return;
        }
        var link = new SeedLink(opened.LinkId, opened.Session, opened.PeerIdHex, _statistics);
        _links.Add(opened.LinkId, link);
        Context.Watch(opened.Session);
        if (_media is not null)
        {
            link.Peer = _media.AddPeer(link);
            _media.Offer(link.Peer);
        }
    }

    private void OnLinkMessage(SeedLinkMessage message)
    {
        if (_media is null || !_links.TryGetValue(message.LinkId, out var link) || link.Peer is not { } peer || message.Message.Length == 0)
        {
            return;
        }
        var bytes = message.Message;
        if ((GroupMessageType)bytes[0] != GroupMessageType.MediaInfos)
        {
            _media.OnControl(peer, bytes, Environment.TickCount64); // maps, push, pull; anything else is not for a source
            return;
        }
        // The member mirrors our infos: it subscribes (docs/groups.md §6.5). Another key is not ours to serve.
        if (!GroupMediaInfo.TryReadEnd(bytes, out _) && GroupMediaInfo.TryRead(bytes, out _, out byte[] key, out _)
            && key.AsSpan().SequenceEqual(_media.StreamKey))
        {
            _media.OnMediaInfos(peer);
        }
    }

    private void OnTerminated(Terminated terminated)
    {
        foreach (var link in _links.Values.Where(l => Equals(l.Session, terminated.ActorRef)).ToList())
        {
            RemoveLink(link.Id);
        }
    }

    private void RemoveLink(long id)
    {
        if (_links.Remove(id, out var link) && link.Peer is { } peer)
        {
            _media?.RemovePeer(peer);
        }
    }
}
