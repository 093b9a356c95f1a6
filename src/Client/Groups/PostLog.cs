namespace Rtmfp.Client.Groups;

/// <summary>
/// The posts a member has seen lately (docs/groups.md §6.6), so a post that comes back through another neighbour
/// is neither handed out nor forwarded again. Bounded in count and age. Not thread-safe.
/// </summary>
internal sealed class PostLog(int capacity = PostLog.DefaultCapacity, long keepMs = PostLog.DefaultKeepMs)
{
    public const int DefaultCapacity = 4096;

    public const long DefaultKeepMs = 300_000;

    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<(long Ms, string Id)> _order = new();

    public int Count => _seen.Count;

    /// <summary>Records a post; false when it was seen within the window.</summary>
    public bool TryAdd(string messageId, long nowMs)
    {
        while (_order.TryPeek(out var oldest) && (nowMs - oldest.Ms > keepMs || _order.Count >= capacity))
        {
            _order.Dequeue();
            _seen.Remove(oldest.Id);
        }
        if (!_seen.Add(messageId))
        {
            return false;
        }
        _order.Enqueue((nowMs, messageId));
        return true;
    }
}
