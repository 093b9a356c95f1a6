namespace Rtmfp.Groups;

/// <summary>
/// Whom the server introduces to whom in one NetGroup (docs/groups.md): plain logic, no actors, so the rule can be
/// tested and simulated on its own. Members sit on a ring ordered by group address (SHA-256 of <c>21 0F peer ID</c>,
/// docs/groups.md §1.3), the order Flash's own topology uses; introductions go into an
/// <see cref="IntroductionBatch{TMember}"/> that the caller sends, one message per member told.
/// </summary>
/// <remarks>
/// The rule, and why:
/// <list type="bullet">
/// <item>A joiner is told its <see cref="RingWindow"/> predecessors and successors and <see cref="RandomPicks"/>
/// random other members, and those ring neighbours are told about the joiner. Both directions, because Flash clients
/// build their overlay from ring neighbours (they need them for the member-count estimate and for the ring itself,
/// which MonaServer2 relies on), while random members counter the partitions that Cumulus's "most recent members"
/// bootstrap produced in large groups (docs/groups.md §3).</item>
/// <item>In a group of at most <see cref="SmallGroup"/> members every member is told about every other.</item>
/// <item>When a member leaves, its ring gap closes: the k-th predecessor is told the member that is now k places into
/// its successor window, so every ring window is whole again without waiting for group reports.</item>
/// <item>Every <c>Rebootstrap</c>, members that joined less than <see cref="RecentMs"/> ago (the ones most likely to
/// be isolated: first introductions raced a leaving neighbour, or NAT bindings were not yet open) get their ring
/// window and a random member again; in small groups everyone gets everyone. Clients ignore peers they already
/// know (librtmfp does), so repeats cost a message, not a connection.</item>
/// <item>Never a member to itself (or to a member with the same peer ID), never a member that left.</item>
/// </list>
/// </remarks>
internal sealed class GroupOverlay<TMember> where TMember : notnull
{
    /// <summary>Ring neighbours on each side a joiner is told about (MonaServer2 uses 3 and 3).</summary>
    public const int RingWindow = 3;

    /// <summary>Random members a joiner is told about beyond its ring window.</summary>
    public const int RandomPicks = 2;

    /// <summary>At most this many members: everyone is introduced to everyone.</summary>
    public const int SmallGroup = 8;

    /// <summary>Members younger than this are re-bootstrapped.</summary>
    public const long RecentMs = 60_000;

    private readonly List<Member> _ring = [];
    private readonly Dictionary<TMember, Member> _byKey = [];
    private readonly Random _random;

    public GroupOverlay(Random random) => _random = random;

    public int Count => _ring.Count;

    public bool Contains(TMember key) => _byKey.ContainsKey(key);

    /// <summary>Members in ring order.</summary>
    public IEnumerable<TMember> Members
    {
        get
        {
            foreach (var m in _ring)
            {
                yield return m.Key;
            }
        }
    }

    /// <summary>Adds a member (or re-introduces one that joined again) and writes the introductions it causes.</summary>
    /// <returns>True when the member is new.</returns>
    public bool Join(TMember key, byte[] peerId, byte[] groupAddress, long nowMs, IntroductionBatch<TMember> batch)
    {
        bool isNew = !_byKey.TryGetValue(key, out var member);
        if (member is null)
        {
            member = new Member(key, peerId, groupAddress, nowMs);
            int at = _ring.BinarySearch(member, Member.RingOrder);
            _ring.Insert(at < 0 ? ~at : at, member);
            _byKey.Add(key, member);
        }
        if (_ring.Count <= SmallGroup)
        {
            foreach (var other in _ring)
            {
                batch.Introduce(member, other);
                batch.Introduce(other, member);
            }
            return isNew;
        }
        int i = IndexOf(member);
        var window = Window(i);
        foreach (var neighbour in window)
        {
            batch.Introduce(member, neighbour);
            batch.Introduce(neighbour, member);
        }
        AddRandom(member, window, RandomPicks, batch);
        return isNew;
    }

    /// <summary>Removes a member and writes the replacements that close its ring gap. False if it was not a member.</summary>
    public bool Leave(TMember key, IntroductionBatch<TMember> batch)
    {
        if (!_byKey.Remove(key, out var member))
        {
            return false;
        }
        int i = IndexOf(member);
        int n = _ring.Count;
        // Before removal: the leaver's predecessors P1…Pk and successors S1…Sk (nearest first).
        var predecessors = new Member[Math.Min(RingWindow, n - 1)];
        var successors = new Member[predecessors.Length];
        for (int k = 0; k < predecessors.Length; k++)
        {
            predecessors[k] = _ring[(i - 1 - k + n) % n];
            successors[k] = _ring[(i + 1 + k) % n];
        }
        _ring.RemoveAt(i);
        batch.Forget(member);
        for (int k = 0; k < predecessors.Length; k++)
        {
            // Pk's successor window lost the leaver and gains S(window − k + 1).
            var replacement = successors[predecessors.Length - 1 - k];
            batch.Introduce(predecessors[k], replacement);
        }
        return true;
    }

    /// <summary>Writes the periodic re-bootstrap introductions (see the remarks).</summary>
    public void Rebootstrap(long nowMs, IntroductionBatch<TMember> batch)
    {
        if (_ring.Count <= 1)
        {
            return;
        }
        if (_ring.Count <= SmallGroup)
        {
            foreach (var member in _ring)
            {
                foreach (var other in _ring)
                {
                    batch.Introduce(member, other);
                }
            }
            return;
        }
        for (int i = 0; i < _ring.Count; i++)
        {
            var member = _ring[i];
            if (nowMs - member.JoinedAtMs >= RecentMs)
            {
                continue;
            }
            var window = Window(i);
            foreach (var neighbour in window)
            {
                batch.Introduce(member, neighbour);
            }
            AddRandom(member, window, 1, batch);
        }
    }

    /// <summary>Whether any member is young enough to be re-bootstrapped (the caller's timer can stop otherwise).</summary>
    public bool NeedsRebootstrap(long nowMs)
    {
        if (_ring.Count is > 1 and <= SmallGroup)
        {
            return true;
        }
        foreach (var member in _ring)
        {
            if (nowMs - member.JoinedAtMs < RecentMs)
            {
                return true;
            }
        }
        return false;
    }

    private int IndexOf(Member member)
    {
        int at = _ring.BinarySearch(member, Member.RingOrder);
        if (at >= 0 && ReferenceEquals(_ring[at], member))
        {
            return at;
        }
        // Equal group addresses (the same peer ID twice): look around the match.
        for (int j = 0; j < _ring.Count; j++)
        {
            if (ReferenceEquals(_ring[j], member))
            {
                return j;
            }
        }
        throw new InvalidOperationException("member not on the ring");
    }

    /// <summary>Up to <see cref="RingWindow"/> predecessors and successors of position <paramref name="i"/>, distinct.</summary>
    private List<Member> Window(int i)
    {
        int n = _ring.Count;
        var window = new List<Member>(2 * RingWindow);
        for (int k = 1; k <= RingWindow && k < n; k++)
        {
            var before = _ring[(i - k + n) % n];
            var after = _ring[(i + k) % n];
            if (!window.Contains(before))
            {
                window.Add(before);
            }
            if (!window.Contains(after))
            {
                window.Add(after);
            }
        }
        return window;
    }

    private void AddRandom(Member member, List<Member> exclude, int picks, IntroductionBatch<TMember> batch)
    {
        int candidates = _ring.Count - 1 - exclude.Count;
        for (int tries = 0; picks > 0 && candidates > 0 && tries < 4 * picks + 8; tries++)
        {
            var pick = _ring[_random.Next(_ring.Count)];
            if (ReferenceEquals(pick, member) || exclude.Contains(pick))
            {
                continue;
            }
            exclude.Add(pick);
            candidates--;
            picks--;
            batch.Introduce(member, pick);
        }
    }

    internal sealed class Member(TMember key, byte[] peerId, byte[] groupAddress, long joinedAtMs)
    {
        public static readonly IComparer<Member> RingOrder = Comparer<Member>.Create(
            (a, b) => a.GroupAddress.AsSpan().SequenceCompareTo(b.GroupAddress));

        public TMember Key { get; } = key;

        public byte[] PeerId { get; } = peerId;

        public byte[] GroupAddress { get; } = groupAddress;

        public long JoinedAtMs { get; } = joinedAtMs;
    }
}

/// <summary>
/// The introductions one group event causes, gathered per member told so each member gets one message: deduplicated,
/// never a member to itself or to its own peer ID, never a member that left in the same event.
/// </summary>
internal sealed class IntroductionBatch<TMember> where TMember : notnull
{
    private readonly Dictionary<TMember, List<byte[]>> _byMember = [];

    public int Count => _byMember.Count;

    public IReadOnlyDictionary<TMember, List<byte[]>> ByMember => _byMember;

    internal void Introduce(GroupOverlay<TMember>.Member to, GroupOverlay<TMember>.Member about)
    {
        if (ReferenceEquals(to, about) || to.PeerId.AsSpan().SequenceEqual(about.PeerId))
        {
            return;
        }
        if (!_byMember.TryGetValue(to.Key, out var peers))
        {
            _byMember[to.Key] = peers = [];
        }
        foreach (var known in peers)
        {
            if (known.AsSpan().SequenceEqual(about.PeerId))
            {
                return;
            }
        }
        peers.Add(about.PeerId);
    }

    internal void Forget(GroupOverlay<TMember>.Member left)
    {
        _byMember.Remove(left.Key);
        foreach (var peers in _byMember.Values)
        {
            peers.RemoveAll(p => p.AsSpan().SequenceEqual(left.PeerId));
        }
    }

    public void Clear() => _byMember.Clear();
}
