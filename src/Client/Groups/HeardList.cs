namespace Rtmfp.Client.Groups;

/// <summary>
/// The members a member knows of, on the group ring (docs/groups.md §6.4): the source of its best list (which
/// members it keeps sessions with), of the best lists it sends its neighbours in reports, and of its estimate of the
/// group's size. Plain state, no sockets; not thread-safe.
/// </summary>
internal sealed class HeardList
{
    /// <summary>Members with no news for this long leave the list (librtmfp and Flash: 5 minutes).</summary>
    public const long NewsTimeoutMs = 300_000;

    /// <summary>Ring neighbours every best list holds: 2 predecessors and 4 successors.</summary>
    public const int RingNeighbors = 6;

    /// <summary>Lowest-latency connected members a best list adds.</summary>
    public const int LowLatencyNeighbors = 6;

    private readonly Dictionary<string, HeardMember> _members = new(StringComparer.Ordinal);
    private readonly SortedList<RingPosition, HeardMember> _ring = new();
    private readonly Dictionary<string, long> _departed = new(StringComparer.Ordinal);

    public int Count => _members.Count;

    public IEnumerable<HeardMember> Members => _members.Values;

    public HeardMember? Find(string peerIdHex) => _members.GetValueOrDefault(peerIdHex);

    /// <summary>Adds a member; false when it is known or departed lately (then <paramref name="member"/> is the known one or null).</summary>
    public bool TryAdd(byte[] peerId, long nowMs, out HeardMember? member)
    {
        string hex = Convert.ToHexStringLower(peerId);
        if (_members.TryGetValue(hex, out member))
        {
            return false;
        }
        if (_departed.TryGetValue(hex, out long since) && nowMs - since < NewsTimeoutMs)
        {
            return false;
        }
        _departed.Remove(hex);
        member = new HeardMember(peerId, nowMs);
        _members.Add(hex, member);
        _ring[member.Position] = member;
        return true;
    }

    /// <summary>Forgets a member; <paramref name="departed"/> keeps reports from bringing it back for 5 minutes.</summary>
    public bool Remove(string peerIdHex, bool departed, long nowMs)
    {
        if (!_members.Remove(peerIdHex, out var member))
        {
            return false;
        }
        _ring.Remove(member.Position);
        if (departed)
        {
            _departed[peerIdHex] = nowMs;
        }
        return true;
    }

    /// <summary>Removes members without news for <see cref="NewsTimeoutMs"/> (except <paramref name="keep"/>) into <paramref name="expired"/>.</summary>
    public void Expire(long nowMs, Func<string, bool> keep, List<string> expired)
    {
        foreach (var member in _members.Values)
        {
            if (nowMs - member.LastNewsMs > NewsTimeoutMs && !keep(member.PeerIdHex))
            {
                expired.Add(member.PeerIdHex);
            }
        }
        foreach (var hex in expired)
        {
            Remove(hex, departed: false, nowMs);
        }
        var old = new List<string>();
        foreach (var (hex, since) in _departed)
        {
            if (nowMs - since >= NewsTimeoutMs)
            {
                old.Add(hex);
            }
        }
        foreach (var hex in old)
        {
            _departed.Remove(hex);
        }
    }

    /// <summary>
    /// Flash's <c>NetGroup.estimatedMemberCount</c> (docs/groups.md §6.4): the members 2 places before and 2 places
    /// after <paramref name="self"/> span 4 gaps of the ring; the ring's size over the mean gap, counted on the
    /// addresses' first 64 bits. With fewer than 4 members known, the count known. Never less than the members known
    /// plus ourselves.
    /// </summary>
    public double EstimatedMemberCount(RingPosition self)
    {
        int n = _ring.Count;
        if (n < 4)
        {
            return n + 1;
        }
        int successor = LowerBound(self) % n;
        ulong first = _ring.Keys[(successor - 2 + n) % n].A;
        ulong last = _ring.Keys[(successor + 1) % n].A;
        ulong span = unchecked(last - first);
        double estimate = span == 0 ? n + 1 : ulong.MaxValue / (span / 4.0) + 1;
        return Math.Max(estimate, n + 1);
    }

    /// <summary>How many neighbours a member aims for: ⌊log2 N⌋ + 13 (docs/groups.md §6.4).</summary>
    public static int TargetNeighborCount(double estimatedMembers) => (int)Math.Log2(Math.Max(estimatedMembers, 1)) + 13;

    /// <summary>
    /// The best list of the member at <paramref name="of"/> (ourselves, or a neighbour we write a report for, then
    /// <paramref name="target"/> names it and is never in its own list), docs/groups.md §6.4: everyone when 6 or
    /// fewer are known; otherwise its 2 ring predecessors and 4 successors, up to 6 of <paramref name="byLatency"/>
    /// (our connected neighbours, fastest first), 1 random member, then members at ring distances of 1/2, 1/4, 1/8…
    /// of the ring from it until <see cref="TargetNeighborCount"/> is reached.
    /// </summary>
    public HashSet<string> BestList(RingPosition of, string? target, IReadOnlyList<string> byLatency, double estimatedMembers, Random random)
    {
        var best = new HashSet<string>(StringComparer.Ordinal);
        int n = _ring.Count;
        if (n <= RingNeighbors)
        {
            foreach (var member in _ring.Values)
            {
                if (member.PeerIdHex != target)
                {
                    best.Add(member.PeerIdHex);
                }
            }
            return best;
        }
        int start = (LowerBound(of) % n - 2 + n) % n;
        for (int i = 0, taken = 0; taken < RingNeighbors && i < n; i++)
        {
            var member = _ring.Values[(start + i) % n];
            if (member.Position != of)
            {
                best.Add(member.PeerIdHex);
                taken++;
            }
        }
        for (int i = 0, taken = 0; taken < LowLatencyNeighbors && i < byLatency.Count; i++)
        {
            if (byLatency[i] != target && _members.ContainsKey(byLatency[i]))
            {
                best.Add(byLatency[i]);
                taken++;
            }
        }
        int offset = random.Next(n);
        for (int i = 0; i < n; i++)
        {
            var member = _ring.Values[(offset + i) % n];
            if (member.PeerIdHex != target && best.Add(member.PeerIdHex))
            {
                break;
            }
        }
        int wanted = Math.Min(TargetNeighborCount(estimatedMembers), n - (target is null ? 0 : 1));
        int at = LowerBound(of) % n;
        for (int missing = wanted - best.Count; missing > 0; missing--)
        {
            at = (at + (int)(n / Math.Pow(2, missing))) % n;
            for (int tries = 0; tries < n; tries++, at = (at + 1) % n)
            {
                var member = _ring.Values[at];
                if (member.PeerIdHex != target && member.Position != of && best.Add(member.PeerIdHex))
                {
                    break;
                }
            }
        }
        return best;
    }

    /// <summary>Index of the first member at or after <paramref name="position"/> (n when past the last).</summary>
    private int LowerBound(RingPosition position)
    {
        var keys = _ring.Keys;
        int lo = 0, hi = keys.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (keys[mid].CompareTo(position) < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }
}
