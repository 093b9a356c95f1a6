
namespace Rtmfp.Shared.Groups;

/// <summary>A fragment held: its header, the message as it travels (shared by every neighbour it goes to), when it came.</summary>
public sealed class StoredFragment(GroupFragment header, byte[] message, int payloadOffset, long receivedMs)
{
    public GroupFragment Header { get; } = header;

    /// <summary>The whole fragment message; never modified once stored.</summary>
    public byte[] Message { get; } = message;

    public ReadOnlySpan<byte> Payload => Message.AsSpan(PayloadOffset);

    public int PayloadOffset { get; } = payloadOffset;

    public long ReceivedMs { get; } = receivedMs;
}

/// <summary>
/// The fragments of one group stream a member holds (docs/groups.md §6.5): what it relays, answers pulls from and
/// announces in its fragments maps. Fragments leave after the publisher's window plus a relay margin, counted from
/// when the highest fragment at the time arrived (fragment IDs grow with the publication's time). Not thread-safe.
/// </summary>
public sealed class FragmentWindow
{
    /// <summary>Fragment IDs accepted beyond the highest one held: a peer cannot make us track IDs far in the future.</summary>
    public const ulong MaxLead = 1 << 16;

    private readonly Dictionary<ulong, StoredFragment> _fragments = new();
    private readonly Queue<(long Ms, ulong Last)> _progress = new();

    /// <summary>The highest fragment ID held (0 when empty).</summary>
    public ulong Last { get; private set; }

    /// <summary>Fragments below this ID are gone from the window and are not taken again.</summary>
    public ulong Floor { get; private set; } = 1;

    public int Count => _fragments.Count;

    /// <summary>Changes whenever the fragments held change (a map sent at another version is out of date).</summary>
    public long Version { get; private set; }

    public bool Contains(ulong id) => _fragments.ContainsKey(id);

    public bool TryGet(ulong id, out StoredFragment fragment) => _fragments.TryGetValue(id, out fragment!);

    /// <summary>Whether a fragment with this ID would be taken (new, not below the window, not too far ahead).</summary>
    public bool Accepts(ulong id) => id >= Floor && !_fragments.ContainsKey(id) && (Last == 0 || id <= Last + MaxLead);

    /// <summary>Stores a fragment; false when it is not <see cref="Accepts"/>.</summary>
    public bool TryAdd(StoredFragment fragment)
    {
        ulong id = fragment.Header.Id;
        if (!Accepts(id))
        {
            return false;
        }
        _fragments.Add(id, fragment);
        Version++;
        if (id > Last)
        {
            Last = id;
            _progress.Enqueue((fragment.ReceivedMs, id));
        }
        return true;
    }

    /// <summary>The lowest ID at or after <paramref name="from"/> of a held fragment that starts a message; 0 when none.</summary>
    public ulong NextStartAtOrAfter(ulong from)
    {
        if (from > Last)
        {
            return 0;
        }
        if (Last - from <= (ulong)_fragments.Count * 2)
        {
            for (ulong id = from; id <= Last; id++)
            {
                if (_fragments.TryGetValue(id, out var f) && f.Header.IsStart)
                {
                    return id;
                }
            }
            return 0;
        }
        ulong best = 0;
        foreach (var (id, f) in _fragments)
        {
            if (id >= from && f.Header.IsStart && (best == 0 || id < best))
            {
                best = id;
            }
        }
        return best;
    }

    /// <summary>Drops what is older than <paramref name="keepMs"/>: every ID up to the highest one held that long ago.</summary>
    public void Evict(long nowMs, long keepMs)
    {
        ulong floor = Floor;
        while (_progress.TryPeek(out var oldest) && nowMs - oldest.Ms > keepMs)
        {
            _progress.Dequeue();
            floor = oldest.Last;
        }
        if (floor <= Floor)
        {
            return;
        }
        if (floor - Floor <= (ulong)_fragments.Count * 2)
        {
            for (ulong id = Floor; id < floor; id++)
            {
                _fragments.Remove(id);
            }
        }
        else
        {
            var old = new List<ulong>();
            foreach (var id in _fragments.Keys)
            {
                if (id < floor)
                {
                    old.Add(id);
                }
            }
            foreach (var id in old)
            {
                _fragments.Remove(id);
            }
        }
        Floor = floor;
        Version++;
    }

    /// <summary>
    /// Our fragments map (<c>22 last bitmap</c>), or null when we hold nothing. <paramref name="endId"/> (the
    /// publication's end, 0 while it lasts) is announced as the last ID once it is past everything held.
    /// </summary>
    public byte[]? BuildMap(ulong endId)
    {
        ulong last = Math.Max(Last, endId);
        if (last == 0)
        {
            return null;
        }
        ulong oldest = Math.Max(Floor, last > 8UL * FragmentsMap.MaxBitmapLength ? last - 8UL * FragmentsMap.MaxBitmapLength : 1);
        int bits = last > oldest ? (int)(last - oldest) : 0;
        Span<byte> bitmap = stackalloc byte[(bits + 7) / 8];
        bitmap.Clear();
        for (int back = 0; back < bits; back++)
        {
            if (_fragments.ContainsKey(last - 1 - (ulong)back))
            {
                bitmap[back / 8] |= (byte)(1 << (back % 8));
            }
        }
        return FragmentsMap.Write(last, bitmap);
    }
}
