using System.Collections.Concurrent;

namespace Rtmfp.Shared.Operations;

/// <summary>
/// What this node hosts, for operators (rtmfp-ops sessions, streams, peers, groups): an entry per open session, stream
/// entity and group entity, added and removed by the entity itself (never per packet). Entries are read from the ops
/// endpoint's threads; the fields an entity changes later are volatile or interlocked.
/// </summary>
public sealed class NodeDirectory
{
    private readonly ConcurrentDictionary<uint, SessionEntry> _sessions = new();
    private readonly ConcurrentDictionary<string, StreamEntry> _streams = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, GroupEntry> _groups = new(StringComparer.Ordinal);

    public IEnumerable<SessionEntry> Sessions => _sessions.Values;
    public IEnumerable<StreamEntry> Streams => _streams.Values;
    public IEnumerable<GroupEntry> Groups => _groups.Values;

    public SessionEntry AddSession(uint sessionId, string? peerId, string address, Action close)
    {
        var entry = new SessionEntry(this, sessionId, peerId, address, DateTimeOffset.UtcNow, close);
        _sessions[sessionId] = entry;
        return entry;
    }

    public StreamEntry AddStream(string name)
    {
        var entry = new StreamEntry(this, name);
        _streams[name] = entry;
        return entry;
    }

    public GroupEntry AddGroup(string groupId)
    {
        var entry = new GroupEntry(this, groupId);
        _groups[groupId] = entry;
        return entry;
    }

    internal void Remove(SessionEntry entry) => _sessions.TryRemove(new KeyValuePair<uint, SessionEntry>(entry.SessionId, entry));

    internal void Remove(StreamEntry entry) => _streams.TryRemove(new KeyValuePair<string, StreamEntry>(entry.Name, entry));

    internal void Remove(GroupEntry entry) => _groups.TryRemove(new KeyValuePair<string, GroupEntry>(entry.GroupId, entry));
}

/// <summary>An open session. <see cref="Close"/> asks its actor to close it in order (Close Request, RFC 7016 §3.5.5).</summary>
public sealed class SessionEntry(NodeDirectory directory, uint sessionId, string? peerId, string address, DateTimeOffset openedAt, Action close) : IDisposable
{
    private volatile string? _application;

    public uint SessionId { get; } = sessionId;

    /// <summary>The client's peer ID in hex (SHA-256 of its certificate, RFC 7425 §4.3), when it has one.</summary>
    public string? PeerId { get; } = peerId;

    /// <summary>The address the session was opened from.</summary>
    public string Address { get; } = address;
    public DateTimeOffset OpenedAt { get; } = openedAt;

    /// <summary>The Flash application it connected to, once connected.</summary>
    public string? Application { get => _application; set => _application = value; }

    public void Close() => close();

    public void Dispose() => directory.Remove(this);
}

/// <summary>A stream entity on this node: its name (application/stream), whether it has a publisher, its players.</summary>
public sealed class StreamEntry(NodeDirectory directory, string name) : IDisposable
{
    private volatile bool _live;
    private int _players;
    private long _relayedBytes;

    public string Name { get; } = name;
    public bool Live { get => _live; set => _live = value; }
    public int Players { get => Volatile.Read(ref _players); set => Volatile.Write(ref _players, value); }
    public long RelayedBytes => Interlocked.Read(ref _relayedBytes);

    public void Relayed(long bytes) => Interlocked.Add(ref _relayedBytes, bytes);

    public void Dispose() => directory.Remove(this);
}

/// <summary>A NetGroup entity on this node: its group ID in hex and its members.</summary>
public sealed class GroupEntry(NodeDirectory directory, string groupId) : IDisposable
{
    private int _members;

    public string GroupId { get; } = groupId;
    public int Members { get => Volatile.Read(ref _members); set => Volatile.Write(ref _members, value); }

    public void Dispose() => directory.Remove(this);
}
