using Akka.Actor;
using Rtmfp.Shared.Groups;

namespace Rtmfp.Sessions.Groups.Seeding;

/// <summary>
/// One member of the seeded stream, as the node's fan-out sees it (docs/groups.md §7): what <see cref="GroupMedia"/>
/// sends it becomes a <see cref="SeedSend"/> to the member's session actor on this node (by reference, no copy).
/// </summary>
internal sealed class SeedLink(long id, IActorRef session, string peerIdHex, GroupSeedStatistics statistics) : IMediaLink
{
    public long Id { get; } = id;

    public IActorRef Session { get; } = session;

    public string PeerId { get; } = peerIdHex;

    public PeerMedia? Peer { get; set; }

    public void SendReport(byte[] message)
    {
        statistics.MemberSend();
        Session.Tell(new SeedSend(Id, Data: false, message), ActorRefs.NoSender);
    }

    /// <summary>Always true: the session drops a fragment it cannot send yet (the member's media flow not there).</summary>
    public bool SendData(byte[] message)
    {
        statistics.MemberSend();
        Session.Tell(new SeedSend(Id, Data: true, message), ActorRefs.NoSender);
        return true;
    }
}
