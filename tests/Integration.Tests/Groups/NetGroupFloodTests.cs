using Rtmfp.Client.Flash;
using Rtmfp.Client.Groups;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Sessions.Groups;
using Rtmfp.Shared.Groups;

namespace Rtmfp.Integration.Tests.Groups;

/// <summary>
/// Issue 10's bad input at volume (docs/groups.md §2.2): one session floods the node with GC flows and joins. The node
/// refuses what is over the per-session bounds and counts each refusal by reason, the session's state (GC flows,
/// memberships) and the group entities' member counts stay at the bounds, nothing fails, and the node keeps serving
/// other members. A node of its own, so the node's gauges count this test's sessions only.
/// </summary>
public sealed class NetGroupFloodTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly int MaxFlows = GroupPolicy.Default.MaxGroupFlowsPerSession, MaxGroups = GroupPolicy.Default.MaxGroupsPerSession;

    private static async Task<FlashNetConnection> MemberAsync(RunningNode node) =>
        await FlashNetConnection.ConnectAsync($"rtmfp://{node.Endpoint}/groups").WaitAsync(Patience);

    private static byte[] JoinMessage(byte[] groupId)
    {
        var join = new byte[3 + GroupControl.GroupIdLength];
        GroupControl.WriteJoin(join, groupId);
        return join;
    }

    [Fact(Timeout = 120_000)]
    public async Task A_flood_of_GC_flows_and_joins_from_one_session_stays_at_the_bounds_and_the_node_keeps_serving()
    {
        await using var node = await RunningNode.StartAsync(("Rtmfp:Applications:*", $"type:{typeof(GroupRecordingApplication).AssemblyQualifiedName}"));
        using var metrics = new MetricCollector(node.Metrics);
        long Refused(string reason) => metrics[$"rtmfp.group.joins.refused{{{reason}}}"];
        var channels = new List<GroupServerChannel>();
        try
        {
            // 1. 300 GC flows at once, each joining another group: 8 memberships, never more than 16 flows open, every
            // other flow refused (over the flow bound at once, or over the group bound once its join is read).
            const int Flows = 300;
            await using var a = await MemberAsync(node);
            channels.AddRange(Enumerable.Range(0, Flows).Select(_ => GroupServerChannel.Join(a.Rtmfp, NetGroupTests.RandomGroup())));
            await GroupMemberTests.EventuallyAsync(() => metrics["rtmfp.group.joins.refused"] == Flows - MaxGroups, Patience,
                $"{Flows - MaxGroups} joins refused (refused so far: {metrics["rtmfp.group.joins.refused"]})");
            Assert.Equal(Flows - MaxGroups, Refused("flow_limit") + Refused("group_limit"));
            Assert.True(Refused("flow_limit") > 0, "300 flows at once: some over the flow bound");
            Assert.Equal(MaxGroups, metrics["rtmfp.group.session.memberships"]);
            Assert.Equal(MaxGroups, metrics.Peak("rtmfp.group.session.memberships"));
            Assert.InRange(metrics.Peak("rtmfp.group.session.flows"), MaxGroups, MaxFlows);
            await GroupMemberTests.EventuallyAsync(() => metrics["rtmfp.group.session.flows"] == MaxGroups, Patience,
                "the refused flows closed: the admitted ones stay");
            // The group entities start when the joins reach their shards, after the sessions counted the memberships.
            await GroupMemberTests.EventuallyAsync(() => metrics["rtmfp.group.active"] == MaxGroups && metrics["rtmfp.group.members"] == MaxGroups,
                Patience, $"{MaxGroups} groups active with one member each");

            // 2. 200 GC flows of one session joining one group: 16 flows, one membership, one member of the group.
            await using var b = await MemberAsync(node);
            var crowded = NetGroupTests.RandomGroup();
            long flowLimit = Refused("flow_limit");
            channels.AddRange(Enumerable.Range(0, 200).Select(_ => GroupServerChannel.Join(b.Rtmfp, crowded)));
            await GroupMemberTests.EventuallyAsync(() => Refused("flow_limit") - flowLimit == 200 - MaxFlows, Patience,
                $"{200 - MaxFlows} flows over the flow bound refused");
            await GroupMemberTests.EventuallyAsync(() => metrics["rtmfp.group.session.flows"] == MaxGroups + MaxFlows, Patience, "16 flows held");
            Assert.InRange(metrics.Peak("rtmfp.group.session.flows"), MaxGroups + MaxFlows, MaxGroups + MaxFlows);
            Assert.Equal(MaxGroups + 1, metrics["rtmfp.group.session.memberships"]);
            Assert.Equal(MaxGroups + 1, metrics["rtmfp.group.members"]);

            // 3. 500 joins on ONE GC flow: the first is the flow's join, the rest are ignored (never a second membership).
            await using var c = await MemberAsync(node);
            var flow = c.Rtmfp.OpenFlow(GroupControl.FlowMetadata.ToArray());
            var first = NetGroupTests.RandomGroup();
            flow.Write(JoinMessage(first));
            for (int i = 1; i < 500; i++)
            {
                flow.Write(JoinMessage(NetGroupTests.RandomGroup()));
            }
            await GroupMemberTests.EventuallyAsync(() => metrics["rtmfp.group.messages.ignored"] == 499, Patience,
                $"499 joins ignored (so far {metrics["rtmfp.group.messages.ignored"]})");
            Assert.Equal(MaxGroups + 2, metrics["rtmfp.group.session.memberships"]);
            Assert.Equal(MaxGroups + 2, metrics["rtmfp.group.active"]);
            Assert.Equal(MaxGroups + 2, metrics["rtmfp.group.members"]);
            Assert.Equal(0, Refused("malformed") + Refused("not_connected") + Refused("application") + Refused("full"));

            // 4. The node keeps serving: fresh clients join the crowded group and the one-flow group, and a new one;
            // each is introduced to the members there (b once, though it holds 16 flows of that group).
            await using var d = await MemberAsync(node);
            await using var e = await MemberAsync(node);
            var toD = GroupServerChannel.Join(d.Rtmfp, crowded);
            var toE = GroupServerChannel.Join(e.Rtmfp, first);
            channels.Add(toD);
            channels.Add(toE);
            Assert.Equal(NetGroupTests.Hex(b.Rtmfp.PeerId), Assert.Single(await NetGroupTests.IntroducedAsync(toD, NetGroupTests.Hex(b.Rtmfp.PeerId))));
            await NetGroupTests.IntroducedAsync(toE, NetGroupTests.Hex(c.Rtmfp.PeerId));
            var fresh = NetGroupTests.RandomGroup();
            var de = GroupServerChannel.Join(d.Rtmfp, fresh);
            channels.Add(de);
            channels.Add(GroupServerChannel.Join(e.Rtmfp, fresh));
            await NetGroupTests.IntroducedAsync(de, NetGroupTests.Hex(e.Rtmfp.PeerId));
            node.AssertNoFailures(); // no handler failure, nothing logged at Error
        }
        finally
        {
            await Task.WhenAll(channels.Select(ch => ch.DisposeAsync().AsTask()));
        }
    }
}
