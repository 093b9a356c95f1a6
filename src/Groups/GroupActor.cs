using Akka.Actor;
using Akka.Cluster.Sharding;
using Rtmfp.Cluster;
using Rtmfp.Shared.Groups;

namespace Rtmfp.Groups;

/// <summary>
/// One NetGroup across the cluster (entity ID = group ID in hex, role "groups"): its members are the session actors
/// that joined, on any node; it watches them, so a member whose session dies or whose node is lost leaves at once and
/// is never introduced again. Introductions follow <see cref="GroupOverlay{TMember}"/>, one message per member told.
/// An empty group passivates; one that stops with members (hand-off) tells them, and they join its next incarnation.
/// </summary>
internal sealed class GroupActor : ReceiveActor, IWithTimers
{
    private sealed class RebootstrapTick
    {
        public static readonly RebootstrapTick Instance = new();
    }

    private readonly byte[] _groupId;
    private readonly GroupsRoleOptions _options;
    private readonly GroupOverlay<IActorRef> _overlay;
    private readonly IntroductionBatch<IActorRef> _batch = new();
    private bool _passivating;
    private int _reportedMembers;
    private Rtmfp.Shared.Operations.GroupEntry? _listed;

    public GroupActor(string entityId, GroupsRoleOptions options)
    {
        GroupMessageExtractor.TryParseEntityId(entityId, out _groupId);
        _options = options;
        _overlay = new GroupOverlay<IActorRef>(new Random());

        Receive<JoinGroup>(OnJoin);
        Receive<LeaveGroup>(_ => Remove(Sender, unwatch: true));
        Receive<Terminated>(t => Remove(t.ActorRef, unwatch: false));
        Receive<RebootstrapTick>(_ => OnRebootstrap());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        _options.Metrics?.Groups.Add(1);
        _listed = _options.Directory?.AddGroup(Convert.ToHexStringLower(_groupId));
    }

    /// <summary>The node's member gauge follows every join and leave (an exact sum over the entities alive here).</summary>
    private void ReportMembers(int members)
    {
        _listed?.Members = members;
        if (_options.Metrics is { } metrics && members != _reportedMembers)
        {
            metrics.GroupMembers.Add(members - _reportedMembers);
            _reportedMembers = members;
        }
    }

    private static long Now => Environment.TickCount64;

    private void OnJoin(JoinGroup join)
    {
        var member = Sender;
        if (member.IsNobody() || join.PeerId.Length != GroupControl.PeerIdLength)
        {
            return;
        }
        if (!_overlay.Contains(member))
        {
            int cap = join.MaxMembers > 0 ? Math.Min(join.MaxMembers, _options.MaxMembersPerGroup) : _options.MaxMembersPerGroup;
            if (_overlay.Count >= cap)
            {
                member.Tell(new GroupJoinRefused(_groupId, $"the group is full ({_overlay.Count} members)"));
                return;
            }
            Context.Watch(member);
        }
        _overlay.Join(member, join.PeerId, GroupAddress.Of(join.PeerId), Now, _batch);
        Send();
        _passivating = false;
        if (!Timers.IsTimerActive("rebootstrap"))
        {
            Timers.StartPeriodicTimer("rebootstrap", RebootstrapTick.Instance, _options.RebootstrapInterval);
        }
    }

    private void Remove(IActorRef member, bool unwatch)
    {
        if (_overlay.Leave(member, _batch))
        {
            if (unwatch)
            {
                Context.Unwatch(member);
            }
            Send();
        }
        if (_overlay.Count == 0 && !_passivating)
        {
            _passivating = true;
            Timers.CancelAll();
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
        }
    }

    private void OnRebootstrap()
    {
        long now = Now;
        _overlay.Rebootstrap(now, _batch);
        Send();
        if (!_overlay.NeedsRebootstrap(now))
        {
            Timers.Cancel("rebootstrap");
        }
    }

    private void Send()
    {
        foreach (var (member, peers) in _batch.ByMember)
        {
            // One message per member told; a huge small-group rebootstrap is cut to what one message may carry.
            int count = Math.Min(peers.Count, IntroduceGroupMembers.MaxPeers);
            if (count == 0)
            {
                continue;
            }
            var ids = new byte[count * GroupControl.PeerIdLength];
            for (int i = 0; i < count; i++)
            {
                peers[i].CopyTo(ids, i * GroupControl.PeerIdLength);
            }
            member.Tell(new IntroduceGroupMembers(_groupId, ids));
            _options.Metrics?.Introductions.Add(count);
        }
        _batch.Clear();
        ReportMembers(_overlay.Count);
    }

    protected override void PostStop()
    {
        // Stopped with members (hand-off, rebalance, or a join that raced passivation): they join the next incarnation.
        foreach (var member in _overlay.Members)
        {
            member.Tell(new GroupEntityStopped(_groupId));
        }
        ReportMembers(0);
        _options.Metrics?.Groups.Add(-1);
        _listed?.Dispose();
        base.PostStop();
    }
}
