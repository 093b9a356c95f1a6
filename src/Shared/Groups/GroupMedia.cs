
namespace Rtmfp.Shared.Groups;

/// <summary>
/// One group stream at one member (docs/groups.md §6.5), as publisher or as player that relays: its fragments, the
/// neighbours taking part, what to announce (maps), push (on their masks), pull (what maps announced and no push
/// brought within the fetch period) and hand to the application. Plain logic driven by the member (under its lock)
/// or by tests: time comes in as arguments, neighbours are <see cref="IMediaLink"/>s.
/// </summary>
public sealed class GroupMedia
{
    /// <summary>Neighbours a new fragment is pushed to at most, minus one (Flash's multicastPushNeighborLimit, librtmfp's default).</summary>
    public const int PushLimit = 4;

    /// <summary>Fragments stay this much longer than the window, for neighbours still pulling them.</summary>
    public const long RelayMarginMs = 2000;

    /// <summary>How often pulls go out (librtmfp: 100 ms).</summary>
    public const long PullPeriodMs = 100;

    /// <summary>How often one more push bit is asked of one more neighbour (librtmfp: 2 s).</summary>
    public const long PushRequestPeriodMs = 2000;

    /// <summary>Pulls outstanding at most: a member far behind catches up in steps instead of asking for everything.</summary>
    public const int MaxPendingPulls = 512;

    /// <summary>Largest message a publication takes: its parts are counted in one byte.</summary>
    public const int MaxMessageLength = 256 * GroupFragment.MaxPayload;

    private readonly List<PeerMedia> _peers = [];
    private readonly Dictionary<ulong, PendingPull> _pending = new();
    private readonly List<(long Ms, ulong Last)> _announced = []; // growing IDs, oldest first
    private readonly (PeerMedia? Peer, ulong LastId)[] _pushers = new (PeerMedia?, ulong)[8];
    private readonly List<GroupMediaMessage> _ready = [];
    private readonly List<ulong> _scratch = [];
    private readonly Random _random;
    private ulong _pullCursor;
    private ulong _startCandidate; // the oldest fragment maps announced before playout starts
    private long _startAtMs;
    private ulong _published;
    private ulong _announcedLast;
    private long _lastMapMs = long.MinValue / 4, _lastPullMs = long.MinValue / 4, _lastPushMs = long.MinValue / 4;
    private int _mapTurn, _pullTurn;
    private int _pushBit = -1;
    private bool _endForwarded;

    public GroupMedia(string name, byte[] streamKey, GroupMediaParameters parameters, bool isPublisher, Random random)
    {
        Name = name;
        StreamKey = streamKey;
        Parameters = parameters;
        IsPublisher = isPublisher;
        _random = random;
        Playout = isPublisher ? null : new GroupPlayout();
    }

    public string Name { get; }

    /// <summary>
    /// Neighbours a new fragment is pushed to at most (Flash's limit by default). A server seed raises it: it has the
    /// bandwidth, and every member whose mask asks should get the fragment from the source at once.
    /// </summary>
    public int PushNeighborLimit { get; init; } = PushLimit + 1;

    /// <summary>
    /// Maps go to every subscriber each period, whatever the parameters announce (a server seed: members start as
    /// soon as its first map comes, while the members among themselves keep the announced one-in-turn).
    /// </summary>
    public bool MapsToAll { get; init; }

    /// <summary>The publication's key (<c>21 01</c> and 32 bytes): two publications of one name are two streams.</summary>
    public byte[] StreamKey { get; }

    public GroupMediaParameters Parameters { get; }

    public bool IsPublisher { get; }

    public FragmentWindow Window { get; } = new();

    /// <summary>Null at the publisher.</summary>
    public GroupPlayout? Playout { get; }

    public IReadOnlyList<PeerMedia> Peers => _peers;

    /// <summary>The ID past the publication's last fragment, once it ended (0 before).</summary>
    public ulong EndId { get; private set; }

    /// <summary>A player handed out (or gave up) everything up to the publication's end.</summary>
    public bool Finished => EndId != 0 && Playout is { } p && p.Next >= EndId;

    /// <summary>Receives each message in order (players).</summary>
    public Action<GroupMediaMessage>? Deliver { get; set; }

    /// <summary>When a fragment last came from a neighbour (players; set at creation too).</summary>
    public long LastFragmentMs { get; set; }

    /// <summary>When a neighbour last pulled from us.</summary>
    public long LastPullMs { get; private set; }

    /// <summary>When our publication ended.</summary>
    public long EndedAtMs { get; private set; }

    /// <summary>Pulls sent, fragments received twice (statistics).</summary>
    public long PullsSent { get; private set; }

    public long Duplicates { get; private set; }

    public PeerMedia AddPeer(IMediaLink link)
    {
        foreach (var peer in _peers)
        {
            if (peer.Link == link)
            {
                return peer;
            }
        }
        var added = new PeerMedia(link);
        _peers.Add(added);
        return added;
    }

    public void RemovePeer(PeerMedia peer)
    {
        _peers.Remove(peer);
        for (int bit = 0; bit < 8; bit++)
        {
            if (_pushers[bit].Peer == peer)
            {
                _pushers[bit] = default;
            }
        }
    }

    /// <summary>Tells a neighbour about the stream (media infos, then our map), once.</summary>
    public void Offer(PeerMedia peer)
    {
        if (peer.InfosSent)
        {
            return;
        }
        peer.InfosSent = true;
        peer.Link.SendReport(GroupMediaInfo.Write(Name, StreamKey, Parameters));
        if (Window.BuildMap(EndId) is { } map)
        {
            peer.Link.SendReport(map);
            peer.MapOutVersion = MapVersion;
        }
        if (EndId != 0 && IsPublisher)
        {
            peer.Link.SendReport(GroupMediaInfo.WriteEnd(EndId));
        }
    }

    /// <summary>The neighbour sent its media infos for this stream: it takes part; we answer with ours.</summary>
    public void OnMediaInfos(PeerMedia peer)
    {
        peer.Subscribed = true;
        Offer(peer);
    }

    /// <summary>The publication ended; <paramref name="endId"/> is past its last fragment.</summary>
    public void OnEnd(ulong endId)
    {
        if (!IsPublisher && EndId == 0 && endId != 0 && endId <= Window.Last + FragmentWindow.MaxLead)
        {
            EndId = endId;
        }
    }

    public void OnPush(PeerMedia peer, byte mask) => peer.PushOut = mask;

    /// <summary>
    /// A neighbour's fragments map, push mask or pull (docs/groups.md §6.5), read and applied; false for any other
    /// message, or a malformed one (the caller counts it).
    /// </summary>
    public bool OnControl(PeerMedia peer, ReadOnlySpan<byte> message, long nowMs)
    {
        switch (message.IsEmpty ? default : (GroupMessageType)message[0])
        {
            case GroupMessageType.FragmentsMap when FragmentsMap.TryRead(message, out ulong last, out var bitmap):
                OnFragmentsMap(peer, last, bitmap, nowMs);
                return true;
            case GroupMessageType.Push when GroupMediaControl.TryReadPush(message, out byte mask):
                OnPush(peer, mask);
                return true;
            case GroupMessageType.Pull when GroupMediaControl.TryReadPull(message, out ulong id):
                OnPull(peer, id, nowMs);
                return true;
            default:
                return false;
        }
    }

    public void OnPull(PeerMedia peer, ulong id, long nowMs)
    {
        LastPullMs = nowMs;
        if (Window.TryGet(id, out var fragment))
        {
            peer.Link.SendData(fragment.Message);
        }
    }

    public void OnFragmentsMap(PeerMedia peer, ulong last, ReadOnlySpan<byte> bitmap, long nowMs)
    {
        if (!peer.TakeMap(last, bitmap) || IsPublisher)
        {
            return; // a publisher pulls nothing; it keeps maps only to see how far its subscribers got
        }
        if (last > _announcedLast && (Window.Last == 0 || last <= Window.Last + FragmentWindow.MaxLead))
        {
            _announcedLast = last;
            _announced.Add((nowMs, last));
        }
        if (Playout is { Started: false })
        {
            // Playout starts two fetch periods after the first map, at the oldest fragment any map announced
            // meanwhile: fragments a relay took by pull show up in its maps a fetch period after the first ones.
            ulong oldest = Math.Max(peer.OldestAnnounced, Window.Floor);
            if (_startCandidate == 0)
            {
                _startAtMs = nowMs + 2L * Parameters.FetchPeriodMs;
                _pullCursor = oldest - 1;
            }
            if (_startCandidate == 0 || oldest < _startCandidate)
            {
                _startCandidate = oldest;
                _pullCursor = Math.Min(_pullCursor, oldest - 1);
            }
        }
    }

    /// <summary>A fragment from a neighbour (pushed or pulled): kept, relayed on push masks, played.</summary>
    public void OnFragment(PeerMedia peer, GroupFragment header, byte[] message, int payloadOffset, long nowMs)
    {
        ulong id = header.Id;
        LastFragmentMs = nowMs;
        if (!_pending.Remove(id) && (peer.PushIn & (1 << (int)(id % 8))) != 0)
        {
            ComparePushers(peer, id);
        }
        var fragment = new StoredFragment(header, message, payloadOffset, nowMs);
        if (!Window.TryAdd(fragment))
        {
            Duplicates++;
            return;
        }
        PushToNeighbors(fragment, peer);
        Drain(nowMs);
    }

    /// <summary>Publishes one media message: split into fragments of at most 959 bytes, kept and pushed.</summary>
    public void Publish(byte type, uint time, ReadOnlySpan<byte> payload, long nowMs)
    {
        if (!IsPublisher || EndId != 0)
        {
            throw new InvalidOperationException("not a publication, or one that ended");
        }
        if (payload.Length > MaxMessageLength)
        {
            throw new ArgumentException($"a group stream message is at most {MaxMessageLength} bytes", nameof(payload));
        }
        int count = GroupFragment.CountFor(payload.Length);
        for (int i = 0; i < count; i++)
        {
            var part = payload.Slice(i * GroupFragment.MaxPayload, Math.Min(GroupFragment.MaxPayload, payload.Length - i * GroupFragment.MaxPayload));
            var header = new GroupFragment(GroupFragment.MarkerFor(i, count), ++_published, (byte)(count - 1 - i), type, time);
            byte[] message = header.ToMessage(part);
            var fragment = new StoredFragment(header, message, message.Length - part.Length, nowMs);
            Window.TryAdd(fragment);
            PushToNeighbors(fragment, null);
        }
    }

    /// <summary>
    /// A publication numbered elsewhere (a server seed's replica on each node, docs/groups.md §7): takes a fragment
    /// its source already made, keeps it and pushes it as if published here. False when the window refuses it.
    /// </summary>
    public bool PublishFragment(GroupFragment header, byte[] message, int payloadOffset, long nowMs)
    {
        if (!IsPublisher || EndId != 0)
        {
            return false;
        }
        var fragment = new StoredFragment(header, message, payloadOffset, nowMs);
        if (!Window.TryAdd(fragment))
        {
            return false;
        }
        _published = Math.Max(_published, header.Id);
        PushToNeighbors(fragment, null);
        return true;
    }

    /// <summary>Ends the publication: neighbours hear the ID past its last fragment.</summary>
    public void EndPublication(long nowMs)
    {
        if (!IsPublisher || EndId != 0)
        {
            return;
        }
        EndId = _published + 1;
        EndedAtMs = nowMs;
        byte[] end = GroupMediaInfo.WriteEnd(EndId);
        foreach (var peer in _peers)
        {
            if (peer.InfosSent)
            {
                peer.Link.SendReport(end);
            }
        }
    }

    /// <summary>Periodic work: window, maps, pulls, push requests, playout.</summary>
    public void Manage(long nowMs)
    {
        Window.Evict(nowMs, Parameters.WindowDurationMs + RelayMarginMs);
        if (nowMs - _lastMapMs >= Parameters.UpdatePeriodMs)
        {
            _lastMapMs = nowMs;
            SendMaps();
        }
        if (IsPublisher)
        {
            return;
        }
        if (nowMs - _lastPullMs >= PullPeriodMs)
        {
            _lastPullMs = nowMs;
            SendPulls(nowMs);
        }
        if (_pushBit < 0 && Playout is { Started: true })
        {
            StartPushes(nowMs);
        }
        else if (_pushBit >= 0 && nowMs - _lastPushMs >= PushRequestPeriodMs)
        {
            _lastPushMs = nowMs;
            RequestOnePushBit();
        }
        if (EndId != 0 && !_endForwarded)
        {
            _endForwarded = true; // relays pass the end on: neighbours of neighbours learn it too
            byte[] end = GroupMediaInfo.WriteEnd(EndId);
            foreach (var peer in _peers)
            {
                if (peer.InfosSent)
                {
                    peer.Link.SendReport(end);
                }
            }
        }
        Drain(nowMs);
    }

    private void Drain(long nowMs)
    {
        if (Playout is not { } playout)
        {
            return;
        }
        if (!playout.Started)
        {
            if (_startCandidate == 0 || nowMs < _startAtMs)
            {
                return;
            }
            playout.StartAt(Math.Max(_startCandidate, Window.Floor));
            StartPushes(nowMs);
        }
        playout.Drain(Window, EndId, nowMs, Parameters.WindowDurationMs, _ready);
        foreach (var message in _ready)
        {
            Deliver?.Invoke(message);
        }
        _ready.Clear();
    }

    private void PushToNeighbors(StoredFragment fragment, PeerMedia? source)
    {
        int bit = 1 << (int)(fragment.Header.Id % 8);
        int budget = PushNeighborLimit;
        foreach (var peer in _peers)
        {
            if (peer != source && peer.Subscribed && (peer.PushOut & bit) != 0 && peer.Link.SendData(fragment.Message) && --budget == 0)
            {
                break;
            }
        }
    }

    /// <summary>
    /// Once playout started, the neighbour whose map goes furthest pushes everything; other neighbours then compete
    /// bit by bit. Not before: until then a member takes fragments by pull, in order from its start, so its maps never
    /// show later fragments without the earlier ones, and members that start from them start where it did.
    /// </summary>
    private void StartPushes(long nowMs)
    {
        PeerMedia? best = null;
        foreach (var peer in _peers)
        {
            if (peer.Subscribed && peer.MapInLast != 0 && (best is null || peer.MapInLast > best.MapInLast))
            {
                best = peer;
            }
        }
        if (best is null)
        {
            return;
        }
        _pushBit = _random.Next(8);
        best.PushIn = 0xFF;
        best.Link.SendReport(GroupMediaControl.WritePush(best.PushIn));
        _lastPushMs = nowMs;
    }

    /// <summary>Two neighbours push one bit: the one that brings a newer fragment first keeps it (docs/groups.md §6.5).</summary>
    private void ComparePushers(PeerMedia peer, ulong id)
    {
        int bit = (int)(id % 8);
        byte mask = (byte)(1 << bit);
        var (current, lastId) = _pushers[bit];
        if (current is null || current == peer)
        {
            _pushers[bit] = (peer, Math.Max(lastId, id));
            return;
        }
        var slower = lastId < id ? current : peer;
        if (slower == current)
        {
            _pushers[bit] = (peer, id);
        }
        slower.PushIn &= (byte)~mask;
        slower.Link.SendReport(GroupMediaControl.WritePush(slower.PushIn));
    }

    private void RequestOnePushBit()
    {
        _pushBit = (_pushBit + 1) % 8;
        byte mask = (byte)(1 << _pushBit);
        PeerMedia? best = null;
        foreach (var peer in _peers)
        {
            if (peer.Subscribed && peer.MapInLast != 0 && (peer.PushIn & mask) == 0 && (best is null || peer.MapInLast > best.MapInLast))
            {
                best = peer;
            }
        }
        if (best is not null)
        {
            best.PushIn |= mask;
            best.Link.SendReport(GroupMediaControl.WritePush(best.PushIn));
        }
    }

    /// <summary>What a map describes: the fragments held, and the end once known.</summary>
    private long MapVersion => Window.Version * 2 + (EndId != 0 ? 1 : 0);

    /// <summary>
    /// Our map to one subscribed neighbour in turn (or to all), only to those whose latest map from us is out of
    /// date: librtmfp sends one only when its last ID changed, but a relay that pulled earlier fragments, or that
    /// learned the end before holding the last fragments, has news with the same last ID.
    /// </summary>
    private void SendMaps()
    {
        long version = MapVersion;
        if (_peers.Count == 0 || Window.BuildMap(EndId) is not { } map)
        {
            return;
        }
        for (int i = 0; i < _peers.Count; i++)
        {
            var peer = _peers[(_mapTurn + i) % _peers.Count];
            if (!peer.Subscribed || peer.MapOutVersion == version)
            {
                continue;
            }
            peer.Link.SendReport(map);
            peer.MapOutVersion = version;
            if (!Parameters.SendToAll && !MapsToAll)
            {
                _mapTurn = (_mapTurn + i + 1) % _peers.Count;
                return;
            }
        }
    }

    private void SendPulls(long nowMs)
    {
        if (_peers.Count == 0 || _startCandidate == 0)
        {
            return;
        }
        long fetch = Parameters.FetchPeriodMs;
        ulong due = 0;
        int dueCount = 0;
        while (dueCount < _announced.Count && nowMs - _announced[dueCount].Ms >= fetch)
        {
            dueCount++;
        }
        if (dueCount > 0)
        {
            due = _announced[dueCount - 1].Last;
            _announced.RemoveRange(0, dueCount - 1); // keep only the newest announcement that is due
        }
        _pullCursor = Math.Max(_pullCursor, Window.Floor - 1);
        RetryPulls(nowMs, fetch);
        while (_pullCursor < due && _pending.Count < MaxPendingPulls)
        {
            ulong id = _pullCursor + 1;
            if (!Window.Contains(id) && !_pending.ContainsKey(id))
            {
                if (NextHolder(id) is not { } holder)
                {
                    break; // announced by nobody we still hear: wait for maps
                }
                Pull(holder, id, nowMs);
            }
            _pullCursor = id;
        }
    }

    private void RetryPulls(long nowMs, long fetch)
    {
        _scratch.Clear();
        foreach (var (id, pull) in _pending)
        {
            if (id < Window.Floor || Window.Contains(id))
            {
                _scratch.Add(id);
            }
            else if (nowMs - pull.SinceMs >= fetch && NextHolder(id) is { } holder)
            {
                PullsSent++;
                holder.Link.SendReport(GroupMediaControl.WritePull(id));
                pull.SinceMs = nowMs;
            }
        }
        foreach (var id in _scratch)
        {
            _pending.Remove(id);
        }
    }

    private void Pull(PeerMedia holder, ulong id, long nowMs)
    {
        PullsSent++;
        holder.Link.SendReport(GroupMediaControl.WritePull(id));
        _pending[id] = new PendingPull { SinceMs = nowMs };
    }

    /// <summary>The next neighbour in turn whose map announced <paramref name="id"/>: pulls spread over the holders.</summary>
    private PeerMedia? NextHolder(ulong id)
    {
        for (int i = 0; i < _peers.Count; i++)
        {
            var peer = _peers[(_pullTurn + i) % _peers.Count];
            if (peer.Subscribed && peer.Has(id))
            {
                _pullTurn = (_pullTurn + i + 1) % _peers.Count;
                return peer;
            }
        }
        return null;
    }

    private sealed class PendingPull
    {
        public long SinceMs;
    }
}
