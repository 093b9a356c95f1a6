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

    /// <param name="close">Closes the session: called with <paramref name="state"/> and the session ID (a static
    /// callback and its state rather than a closure per session).</param>
    public SessionEntry AddSession(uint sessionId, byte[]? peerId, System.Net.SocketAddress address, object state, Action<object, uint> close)
    {
        var entry = new SessionEntry(this, sessionId, peerId, address, DateTimeOffset.UtcNow, state, close);
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
/// <remarks>
/// The peer ID and address are kept as the session has them (bytes it holds anyway) and put in words when asked:
/// an operator asks rarely, and every open session has an entry (issue 9: live heap per idle session).
/// </remarks>
public sealed class SessionEntry(NodeDirectory directory, uint sessionId, byte[]? peerId, System.Net.SocketAddress address, DateTimeOffset openedAt,
    object state, Action<object, uint> close) : IDisposable
{
    private volatile string? _application;

    public uint SessionId { get; } = sessionId;

    /// <summary>The client's peer ID in hex (SHA-256 of its certificate, RFC 7425 §4.3), when it has one.</summary>
    public string? PeerId => peerId is { Length: > 0 } ? Convert.ToHexStringLower(peerId) : null;

    /// <summary>The address the session was opened from (an IPv4-mapped IPv6 address as IPv4).</summary>
    public string Address
    {
        get
        {
            var template = new System.Net.IPEndPoint(address.Family == System.Net.Sockets.AddressFamily.InterNetworkV6
                ? System.Net.IPAddress.IPv6Any : System.Net.IPAddress.Any, 0);
            var endpoint = (System.Net.IPEndPoint)template.Create(address);
            return (endpoint.Address.IsIPv4MappedToIPv6 ? new System.Net.IPEndPoint(endpoint.Address.MapToIPv4(), endpoint.Port) : endpoint).ToString();
        }
    }
    public DateTimeOffset OpenedAt { get; } = openedAt;

    /// <summary>The Flash application it connected to, once connected.</summary>
    public string? Application { get => _application; set => _application = value; }

    public void Close() => close(state, SessionId);

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
