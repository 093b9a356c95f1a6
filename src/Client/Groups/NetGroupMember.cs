using System.Net;
using Rtmfp.Client.Peer;
using Rtmfp.Shared.Groups;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Client.Groups;

/// <summary>
/// A member of an RTMFP group (Flash's <c>NetGroup</c>; docs/groups.md §6): it joins through its server
/// (<see cref="GroupServerChannel"/>, §2), opens sessions to the members the server and its neighbours tell it of,
/// answers the sessions members open to it, runs the group handshake and reports on each, keeps a connected overlay
/// (its best list, §6.4), and publishes or plays group streams (§6.5). Interoperates with librtmfp's members, which
/// reproduce Flash's. State lives behind one lock (<see cref="Gate"/>); sends never wait under it.
/// </summary>
public sealed partial class NetGroupMember : IAsyncDisposable
{
    private readonly RtmfpPeer _peer;
    private readonly GroupServerChannel _channel;
    private readonly NetGroupOptions _options;
    private readonly CancellationTokenSource _stop = new();
    private readonly Random _random = new();
    private readonly HeardList _heard = new();
    private readonly Dictionary<string, GroupNeighbor> _neighbors = new(StringComparer.Ordinal);
    private readonly HashSet<string> _connecting = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GroupMedia> _medias = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GroupSubscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly List<Address> _ownAddresses = [];
    private readonly List<Task> _tasks = [];
    private readonly RingPosition _position;
    private readonly string _peerIdHex;
    private HashSet<string> _bestList = new(StringComparer.Ordinal);
    private long _lastReportMs, _lastBestListMs, _lastCleanMs;
    private bool _bestListStarted;
    private bool _disposed;

    private NetGroupMember(RtmfpPeer peer, GroupSpecifier specifier, GroupServerChannel channel, NetGroupOptions options)
    {
        _peer = peer;
        Specifier = specifier;
        _channel = channel;
        _options = options;
        _peerIdHex = peer.PeerIdHex;
        _position = RingPosition.OfPeer(peer.PeerId.Span);
        long now = MonotonicClock.NowMs;
        _lastReportMs = _lastBestListMs = _lastCleanMs = now;
    }

    /// <summary>The lock every piece of group state is under.</summary>
    internal object Gate { get; } = new();

    public GroupSpecifier Specifier { get; }

    /// <summary>Our peer ID (hex): what other members know us by.</summary>
    public string PeerIdHex => _peerIdHex;

    /// <summary>Our group address: SHA-256 of our peer ID's endpoint discriminator (docs/groups.md §1.3).</summary>
    public byte[] GroupAddressBytes => GroupAddress.Of(_peer.PeerId.Span);

    /// <summary>The session with the server.</summary>
    public RtmfpConnection Server => _peer.Server;

    /// <summary>Neighbours: members we have a session with whose group handshake went through.</summary>
    public int NeighborCount
    {
        get
        {
            lock (Gate)
            {
                int n = 0;
                foreach (var neighbor in _neighbors.Values)
                {
                    n += neighbor.IsJoined ? 1 : 0;
                }
                return n;
            }
        }
    }

    /// <summary>The peer IDs (hex) of our neighbours.</summary>
    public IReadOnlyList<string> Neighbors
    {
        get
        {
            lock (Gate)
            {
                var list = new List<string>();
                foreach (var neighbor in _neighbors.Values)
                {
                    if (neighbor.IsJoined)
                    {
                        list.Add(neighbor.PeerIdHex);
                    }
                }
                return list;
            }
        }
    }

    /// <summary>Members we know of (our heard list), not counting ourselves.</summary>
    public int KnownMemberCount
    {
        get
        {
            lock (Gate)
            {
                return _heard.Count;
            }
        }
    }

    /// <summary>Flash's <c>NetGroup.estimatedMemberCount</c> (docs/groups.md §6.4), ourselves included.</summary>
    public double EstimatedMemberCount
    {
        get
        {
            lock (Gate)
            {
                return _heard.EstimatedMemberCount(_position);
            }
        }
    }

    /// <summary>
    /// Connects to <paramref name="uri"/> (rtmfp://host:port/app), joins the group <paramref name="specifier"/>
    /// names (the full text: the group handshake proves we know it, docs/groups.md §6.2) and starts meeting members.
    /// </summary>
    public static async Task<NetGroupMember> JoinAsync(string uri, string specifier, NetGroupOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var parsed = GroupSpecifier.TryParse(specifier, out var problem) ?? throw new ArgumentException(problem, nameof(specifier));
        options ??= new NetGroupOptions();
        var peer = await RtmfpPeer.ConnectAsync(uri, options.Peer, cancellationToken).ConfigureAwait(false);
        var channel = GroupServerChannel.Join(peer.Server, parsed.GroupId);
        var member = new NetGroupMember(peer, parsed, channel, options);
        member.Start();
        return member;
    }

    /// <summary>Publishes a stream into the group (names up to 126 bytes of UTF-8; players ask by name).</summary>
    public GroupPublication Publish(string streamName, GroupMediaParameters? parameters = null)
    {
        lock (Gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (var existing in _medias.Values)
            {
                if (existing.IsPublisher && existing.Name == streamName && existing.EndId == 0)
                {
                    throw new InvalidOperationException($"already publishing {streamName}");
                }
            }
            var media = new GroupMedia(streamName, GroupMediaInfo.NewStreamKey(), parameters ?? new GroupMediaParameters(), isPublisher: true, _random);
            GroupMediaInfo.Write(streamName, media.StreamKey, media.Parameters); // checks the name
            _medias.Add(Convert.ToHexStringLower(media.StreamKey), media);
            OfferToAll(media);
            return new GroupPublication(this, media);
        }
    }

    /// <summary>Plays the group stream <paramref name="streamName"/>: from whichever member publishes it, through the overlay.</summary>
    public GroupSubscription Play(string streamName)
    {
        lock (Gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_subscriptions.TryGetValue(streamName, out var existing))
            {
                return existing;
            }
            var subscription = new GroupSubscription(this, streamName);
            _subscriptions.Add(streamName, subscription);
            foreach (var neighbor in _neighbors.Values)
            {
                for (int i = neighbor.Offers.Count - 1; i >= 0; i--)
                {
                    var offer = neighbor.Offers[i];
                    if (offer.Name == streamName)
                    {
                        neighbor.Offers.RemoveAt(i);
                        OnMediaInfos(neighbor, offer.FarFlowId, offer.Name, offer.StreamKey, offer.Parameters);
                    }
                }
            }
            return subscription;
        }
    }

    private void Start()
    {
        lock (Gate)
        {
            Track(Task.Run(ReadIntroductionsAsync));
            Track(Task.Run(AcceptAsync));
            Track(Task.Run(ManageLoopAsync));
        }
    }

    /// <summary>Members the server introduces (docs/groups.md §2.3): contacted at once, through the server.</summary>
    private async Task ReadIntroductionsAsync()
    {
        try
        {
            await foreach (var peerId in _channel.Members.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                lock (Gate)
                {
                    OnIntroduced(peerId);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or RtmfpFlowException or InvalidOperationException)
        {
        }
    }

    /// <summary>Sessions members open to us.</summary>
    private async Task AcceptAsync()
    {
        try
        {
            await foreach (var session in _peer.IncomingPeers.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                lock (Gate)
                {
                    AddSession(session, initiated: false);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ManageLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.ManagePeriod);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                lock (Gate)
                {
                    Guarded(() => Manage(MonotonicClock.NowMs));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Leaves: publications end, sessions and the server channel close.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (Gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            foreach (var media in _medias.Values)
            {
                media.EndPublication(MonotonicClock.NowMs);
            }
            foreach (var subscription in _subscriptions.Values)
            {
                subscription.Complete();
            }
            _received.Writer.TryComplete();
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        await _channel.DisposeAsync().ConfigureAwait(false);
        await _peer.DisposeAsync().ConfigureAwait(false);
        Task[] tasks;
        lock (Gate)
        {
            tasks = [.. _tasks];
        }
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    /// <summary>
    /// Faults of our own caught while handling a neighbour's message or the periodic work (a bug, never the peer's
    /// input: that is checked before use). The member goes on; tests assert there were none.
    /// </summary>
    public long Faults { get; private set; }

    /// <summary>The last fault's exception, for diagnostics.</summary>
    public Exception? LastFault { get; private set; }

    /// <summary>Messages from neighbours ignored as malformed, out of place or not for us (diagnostics).</summary>
    public long IgnoredMessages
    {
        get
        {
            lock (Gate)
            {
                return _ignoredByGone + _neighbors.Values.Sum(n => (long)n.Ignored);
            }
        }
    }

    private long _ignoredByGone;

    /// <summary>Under Gate: runs a step of the protocol; a fault of ours is counted instead of ending the member's loops.</summary>
    private void Guarded(Action step)
    {
        try
        {
            step();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Faults++;
            LastFault = e;
        }
    }

    /// <summary>Our server's address as we reach it: our "host" in reports (origin 3, docs/groups.md §6.3).</summary>
    private Address? HostAddress => _peer.Server.RemoteEndPoint is IPEndPoint server ? Address.FromIPEndPoint(server, AddressOrigin.Relay) : null;
}
