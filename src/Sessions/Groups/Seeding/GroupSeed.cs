using Akka.Actor;
using Rtmfp.Flash;
using Rtmfp.Shared.Groups;

namespace Rtmfp.Sessions.Groups.Seeding;

/// <summary>
/// A stream the node seeds into a group (Rtmfp:Groups:Seeds, docs/groups.md §7): the server member's identity (the
/// same on every node of the cluster) and the published stream it carries. The group stream has the stream's name.
/// </summary>
public sealed record GroupSeed(GroupSeedIdentity Identity, StreamKey Stream)
{
    public byte[] GroupId => Identity.Specifier.GroupId;

    public string GroupIdHex { get; } = Convert.ToHexStringLower(Identity.Specifier.GroupId);

    /// <summary>
    /// What the seed announces, and every member relaying the stream follows (docs/groups.md §6.5): Flash's defaults
    /// but a fetch period short enough that members pull what pushes missed within a second. Maps to all are the
    /// seed's own habit (<see cref="GroupMedia.MapsToAll"/>), not announced: members sending each map to every
    /// neighbour would multiply the overlay's traffic by its degree.
    /// </summary>
    public static GroupMediaParameters MediaParameters { get; } = new() { UpdatePeriodMs = 100, FetchPeriodMs = 1000 };
}

/// <summary>
/// Seeding figures of one node (tests and the benchmark read them): frames numbered by the seed sources here, the
/// fragment messages they sent to fan-outs (and how many of those crossed to another node), and what fan-outs here
/// received and handed to member sessions. Thread-safe.
/// </summary>
public sealed class GroupSeedStatistics
{
    private long _sourceFrames, _fanoutMessages, _remoteFanoutMessages, _fanoutReceived, _memberSends, _droppedMemberSends;

    public long SourceFrames => Interlocked.Read(ref _sourceFrames);

    /// <summary><see cref="Rtmfp.Cluster.SeedFragments"/> sent to fan-outs, one per fan-out and frame.</summary>
    public long FanoutMessages => Interlocked.Read(ref _fanoutMessages);

    /// <summary>Those of <see cref="FanoutMessages"/> that went to a fan-out on another node.</summary>
    public long RemoteFanoutMessages => Interlocked.Read(ref _remoteFanoutMessages);

    public long FanoutReceived => Interlocked.Read(ref _fanoutReceived);

    /// <summary>Messages (infos, maps, fragments) fan-outs here handed to member sessions on this node.</summary>
    public long MemberSends => Interlocked.Read(ref _memberSends);

    /// <summary>Fragments a member session dropped because the member fell too far behind (its flow's queue was full).</summary>
    public long DroppedMemberSends => Interlocked.Read(ref _droppedMemberSends);

    internal void SourceFrame(int fanouts, int remote)
    {
        Interlocked.Increment(ref _sourceFrames);
        Interlocked.Add(ref _fanoutMessages, fanouts);
        Interlocked.Add(ref _remoteFanoutMessages, remote);
    }

    internal void FanoutReceivedOne() => Interlocked.Increment(ref _fanoutReceived);

    internal void MemberSend() => Interlocked.Increment(ref _memberSends);

    internal void DroppedMemberSend() => Interlocked.Increment(ref _droppedMemberSends);
}

// Between a member's session actor and its node's fan-out: never leave the node (the session finds the fan-out of
// its own node), so they have no serializer.

/// <summary>Session → fan-out: the member checked out (GROUP_INIT, reports): offer it the stream over this link.</summary>
internal sealed record SeedLinkOpened(long LinkId, IActorRef Session, string PeerIdHex);

/// <summary>Session → fan-out: the member's group session ended.</summary>
internal sealed record SeedLinkClosed(long LinkId);

/// <summary>Session → fan-out: media infos, a fragments map, push or pull from the member (docs/groups.md §6.5).</summary>
internal sealed record SeedLinkMessage(long LinkId, byte[] Message);

/// <summary>Fan-out → session: send on the stream's media report flow, or (<see cref="Data"/>) its media data flow.</summary>
internal sealed record SeedSend(long LinkId, bool Data, byte[] Message);

/// <summary>The seed fan-outs of this node by group ID (hex), filled when the actor system starts.</summary>
internal sealed class SeedFanouts
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, IActorRef> _byGroup = new(StringComparer.Ordinal);

    public void Add(string groupIdHex, IActorRef fanout) => _byGroup[groupIdHex] = fanout;

    public IActorRef? Find(string groupIdHex) => _byGroup.GetValueOrDefault(groupIdHex);
}
