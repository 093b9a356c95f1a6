using System.Text;
using Akka.Actor;
using Rtmfp.Cluster;
using Rtmfp.Engine;
using Rtmfp.Flash;
using Rtmfp.Sessions.Flows;
using Rtmfp.Shared.Groups;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Sessions.Groups;

/// <summary>
/// The session's NetGroup flows (signature "GC", docs/groups.md §2): each GC flow carries one join; the member's
/// membership of a group is held by the GC flows that joined it (a count per group, §2.1), and the group entity
/// hears of the first join and the last leave. Introductions from the group entity go out as <c>0B peer ID</c>
/// messages on our own GC flow associated with each of the member's (§2.3). A join that cannot be used, that the
/// application refuses, that exceeds the per-session bounds or that the group refuses ends its flow with a flow
/// exception (RFC 7016 §3.6.3.7); an admitted one is never answered with one. Every refusal is counted by reason, and
/// the node's gauges follow the GC flows and memberships held (<c>rtmfp.group.*</c>). Runs on the session's thread.
/// </summary>
internal sealed class GroupFlowService(
    Session engine,
    Func<NetConnection?> connection,
    IActorRef? groups,
    IActorRef self,
    GroupPolicy policy,
    RtmfpMetrics? metrics = null) : IFlowService
{
    /// <summary>Flow exception code of a refused join (RFC 7016 §3.6.3.7 leaves codes to the application).</summary>
    public const ulong RefusedCode = 0;

    /// <summary>Bytes a GC flow may buffer: a join is at most about 1 KB (<see cref="GroupControl.MaxSpecifierLength"/>).</summary>
    private const long FlowBufferCapacity = 4096;

    /// <summary>Unacknowledged introductions one of our GC flows may hold; beyond it new ones are dropped (they are hints).</summary>
    private const int MaxQueuedIntroductions = 512;

    private sealed class GroupFlow(RecvFlow inbound)
    {
        public RecvFlow Inbound { get; } = inbound;
        public SendFlow? Outbound { get; set; }
        public Membership? Membership { get; set; }
        public bool Deciding { get; set; }
        public bool Ended { get; set; }
        /// <summary>The usable join this flow carried (persisted with the session, docs/decisions.md "Session persistence").</summary>
        public byte[]? Join { get; set; }
        public int MaxMembers { get; set; }
    }

    private sealed class Membership(GroupJoinRequest request, int maxMembers)
    {
        public GroupJoinRequest Request { get; } = request;
        public int MaxMembers { get; } = maxMembers;
        public List<GroupFlow> Flows { get; } = [];
    }

    private readonly Dictionary<string, Membership> _memberships = new(StringComparer.Ordinal);
    private readonly Dictionary<ulong, GroupFlow> _byFlow = [];
    private int _openFlows;
    /// <summary>Open flows this session counts in the node's gauge: zeroed once when the session ends (its flows end with it).</summary>
    private int _countedFlows;
    private byte[]? _peerId;

    /// <summary>Joins refused (malformed, by policy, by the application, by the group, or over a bound).</summary>
    public long Refused { get; private set; }

    /// <summary>Messages on GC flows that were not a usable first join (ignored, docs/groups.md §2.2).</summary>
    public long Ignored { get; private set; }

    public int Groups => _memberships.Count;

    /// <summary>Counts changes of what <see cref="Export"/> returns: a join arrived, was decided or refused, a GC flow ended.</summary>
    public long Changes { get; private set; }

    public bool TryAccept(RecvFlow flow)
    {
        if (!flow.Metadata.Span.SequenceEqual(GroupControl.FlowMetadata) || _openFlows >= policy.MaxGroupFlowsPerSession)
        {
            if (_openFlows >= policy.MaxGroupFlowsPerSession)
            {
                CountRefused(GroupRefusals.FlowLimit); // the router rejects the flow (RFC 7016 §3.6.3.7)
            }
            return false;
        }
        _openFlows++;
        _countedFlows++;
        metrics?.GroupFlows.Add(1);
        flow.BufferCapacity = FlowBufferCapacity;
        var gc = new GroupFlow(flow);
        flow.Tag = gc;
        _byFlow[flow.FlowId] = gc;
        return true;
    }

    public void OnMessage(RecvFlow flow, ReadOnlySpan<byte> message)
    {
        if (flow.Tag is not GroupFlow gc)
        {
            return;
        }
        if (gc.Membership is not null || gc.Deciding)
        {
            CountIgnored(); // docs/groups.md §2.2: no other member → server message is known; ignore, never fail the flow
            return;
        }
        if (!TryReadJoin(gc, message, out var request))
        {
            return;
        }
        var client = connection();
        if (client?.PeerId is not { } peerId || groups is null)
        {
            Refuse(gc, GroupRefusals.NotConnected);
            return;
        }
        _peerId ??= peerId.ToArray();
        gc.Join = message.ToArray();
        Changes++;
        if (_memberships.TryGetValue(request.GroupIdHex, out var existing))
        {
            Attach(gc, existing); // already admitted: another NetGroup or group stream of the same client
            return;
        }
        if (_memberships.Count >= policy.MaxGroupsPerSession)
        {
            Refuse(gc, GroupRefusals.GroupLimit);
            return;
        }
        if (policy.RefuseUnknownGroups && request.Specifier is null)
        {
            Refuse(gc, GroupRefusals.UnknownGroup);
            return;
        }
        gc.Deciding = true;
        client.DecideGroupJoin(request, decision => OnDecision(gc, request, decision));
    }

    /// <summary>A join message as docs/groups.md §2.2 reads it; a malformed one refuses the flow, anything else is ignored.</summary>
    private bool TryReadJoin(GroupFlow gc, ReadOnlySpan<byte> message, out GroupJoinRequest request)
    {
        Span<byte> groupId = stackalloc byte[GroupControl.GroupIdLength];
        request = null!;
        switch (GroupControl.TryReadJoin(message, groupId, out var form, out var text))
        {
            case GroupJoinStatus.NotAJoin:
                CountIgnored();
                return false;
            case GroupJoinStatus.Malformed:
                Refuse(gc, GroupRefusals.Malformed);
                return false;
        }
        var specifier = form == GroupJoinForm.Specifier
            ? GroupSpecifier.TryParse(Encoding.ASCII.GetString(text), out _)
            : policy.Find(groupId);
        request = new GroupJoinRequest(groupId.ToArray(), specifier);
        return true;
    }

    /// <summary>The joins on the client's open GC flows, for the session's record.</summary>
    public PersistedGroupJoin[] Export()
    {
        var joins = new List<PersistedGroupJoin>(_byFlow.Count);
        foreach (var (flowId, gc) in _byFlow)
        {
            if (gc.Join is { } join && !gc.Ended)
            {
                joins.Add(new PersistedGroupJoin(flowId, join, gc.Membership is not null, gc.MaxMembers));
            }
        }
        return [.. joins];
    }

    /// <summary>
    /// A resumed session (its GC flows accepted again, its NetConnection rebuilt): admitted joins become memberships
    /// again without asking the application twice, and the group entity hears of the member where it lives now (the
    /// old incarnation's actor died with its node: the group saw it go); a join still being decided is decided again.
    /// </summary>
    public void Restore(IReadOnlyList<PersistedGroupJoin> joins)
    {
        foreach (var join in joins)
        {
            if (!_byFlow.TryGetValue(join.FlowId, out var gc) || gc.Join is not null || gc.Ended)
            {
                continue;
            }
            if (!join.Admitted)
            {
                OnMessage(gc.Inbound, join.Message);
                continue;
            }
            if (!TryReadJoin(gc, join.Message, out var request) || connection()?.PeerId is not { } peerId || groups is null)
            {
                continue;
            }
            _peerId ??= peerId.ToArray();
            gc.Join = join.Message;
            OnDecision(gc, request, new GroupDecision(true, null, join.MaxMembers));
        }
    }

    private void OnDecision(GroupFlow gc, GroupJoinRequest request, GroupDecision decision)
    {
        gc.Deciding = false;
        Changes++;
        if (gc.Ended)
        {
            return;
        }
        if (!decision.Allowed)
        {
            Refuse(gc, GroupRefusals.Application);
            return;
        }
        if (!_memberships.TryGetValue(request.GroupIdHex, out var membership))
        {
            if (_memberships.Count >= policy.MaxGroupsPerSession)
            {
                Refuse(gc, GroupRefusals.GroupLimit); // joins decided at once: the bound holds when they are admitted
                return;
            }
            membership = new Membership(request, decision.MaxMembers);
            _memberships.Add(request.GroupIdHex, membership);
            metrics?.GroupMemberships.Add(1);
            engine.TightenLiveness((long)policy.MemberKeepalive.TotalMilliseconds, (long)policy.MemberIdleTimeout.TotalMilliseconds);
            groups!.Tell(new JoinGroup(request.GroupId.ToArray(), _peerId!, decision.MaxMembers), self);
        }
        Attach(gc, membership);
    }

    private void Attach(GroupFlow gc, Membership membership)
    {
        // docs/groups.md §2.1: our answers travel on our own "GC" flow, associated with the member's.
        gc.Outbound = engine.OpenFlow(GroupControl.FlowMetadata.ToArray(), gc.Inbound);
        gc.Membership = membership;
        gc.MaxMembers = membership.MaxMembers;
        membership.Flows.Add(gc);
        IntroduceSeed(gc, membership);
    }

    /// <summary>
    /// docs/groups.md §7: the server member is a member like any other, and the stream's source: every joiner meets
    /// it, and hears of it again with each introduction from the group (the re-bootstrap of young members included),
    /// so a member whose first attempt failed (and who keeps a failed peer out for a while) tries again.
    /// </summary>
    private void IntroduceSeed(GroupFlow gc, Membership membership)
    {
        if (policy.SeedMembers.TryGetValue(membership.Request.GroupIdHex, out var seed) && !seed.AsSpan().SequenceEqual(_peerId)
            && gc.Outbound is { State: SendFlowState.Open } outbound && outbound.QueuedFragmentCount < MaxQueuedIntroductions)
        {
            var message = new byte[GroupControl.MemberMessageLength];
            GroupControl.WriteMember(message, seed);
            outbound.Write(message);
        }
    }

    private void CountIgnored()
    {
        Ignored++;
        metrics?.GroupMessagesIgnored.Add(1);
    }

    private void CountRefused(KeyValuePair<string, object?> reason)
    {
        Refused++;
        metrics?.GroupJoinsRefused.Add(1, reason);
    }

    private void Refuse(GroupFlow gc, KeyValuePair<string, object?> reason)
    {
        CountRefused(reason);
        gc.Join = null;
        Changes++;
        gc.Inbound.Reject(RefusedCode);
    }

    public void OnFlowComplete(RecvFlow flow)
    {
        if (flow.Tag is not GroupFlow gc || gc.Ended)
        {
            return;
        }
        gc.Ended = true;
        _openFlows--;
        if (_countedFlows > 0)
        {
            _countedFlows--;
            metrics?.GroupFlows.Add(-1);
        }
        _byFlow.Remove(flow.FlowId);
        Changes++;
        gc.Outbound?.Close();
        if (gc.Membership is { } membership)
        {
            membership.Flows.Remove(gc);
            if (membership.Flows.Count == 0)
            {
                Leave(membership); // docs/groups.md §2.4: the last GC flow of a group ended
            }
        }
    }

    /// <summary>The group entity's introductions: <c>0B peer ID</c> on every GC flow of ours for that group.</summary>
    public void Introduce(IntroduceGroupMembers introduction)
    {
        if (!_memberships.TryGetValue(Convert.ToHexStringLower(introduction.GroupId), out var membership))
        {
            return; // left meanwhile
        }
        for (int i = 0; i < introduction.Count; i++)
        {
            var peerId = introduction.PeerId(i);
            if (_peerId is not null && peerId.SequenceEqual(_peerId))
            {
                continue; // docs/groups.md §2.3: never a member to itself
            }
            foreach (var gc in membership.Flows)
            {
                if (gc.Outbound is { State: SendFlowState.Open } outbound && outbound.QueuedFragmentCount < MaxQueuedIntroductions)
                {
                    var message = new byte[GroupControl.MemberMessageLength]; // the engine holds it until acknowledged
                    GroupControl.WriteMember(message, peerId);
                    outbound.Write(message);
                }
            }
        }
        foreach (var gc in membership.Flows)
        {
            IntroduceSeed(gc, membership);
        }
    }

    /// <summary>The group refused the member (full): its GC flows of that group end with a flow exception.</summary>
    public void OnRefused(GroupJoinRefused refused)
    {
        if (!_memberships.Remove(Convert.ToHexStringLower(refused.GroupId), out var membership))
        {
            return;
        }
        metrics?.GroupMemberships.Add(-1);
        foreach (var gc in membership.Flows)
        {
            gc.Membership = null;
            gc.Outbound?.Close();
            Refuse(gc, GroupRefusals.Full);
        }
    }

    /// <summary>The group entity stopped with us as a member (hand-off): join its next incarnation.</summary>
    public void OnGroupStopped(GroupEntityStopped stopped)
    {
        if (_memberships.TryGetValue(Convert.ToHexStringLower(stopped.GroupId), out var membership) && _peerId is not null)
        {
            groups?.Tell(new JoinGroup(stopped.GroupId, _peerId, membership.MaxMembers), self);
        }
    }

    /// <summary>The session ends: the member leaves every group (the group entity would also see the actor stop).</summary>
    public void LeaveAll()
    {
        foreach (var membership in _memberships.Values.ToArray())
        {
            Leave(membership);
        }
        metrics?.GroupFlows.Add(-_countedFlows); // the session's flows end with it
        _countedFlows = 0;
    }

    private void Leave(Membership membership)
    {
        _memberships.Remove(membership.Request.GroupIdHex);
        metrics?.GroupMemberships.Add(-1);
        groups?.Tell(new LeaveGroup(membership.Request.GroupId.ToArray()), self);
        connection()?.OnGroupLeft(membership.Request);
    }

    public void OnFlowException(SendFlow flow)
    {
    }
}
