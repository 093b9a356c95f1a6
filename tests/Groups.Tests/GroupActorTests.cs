using System.Security.Cryptography;
using Akka.Actor;
using Akka.TestKit.Xunit;
using Rtmfp.Cluster;

namespace Rtmfp.Groups.Tests;

/// <summary>The group entity: introductions to member sessions, caps, a member's death, and a stop with members.</summary>
public class GroupActorTests : TestKit
{
    private static readonly byte[] Group = RandomNumberGenerator.GetBytes(32);

    private IActorRef NewGroup(int maxMembers = 100_000) => Sys.ActorOf(Props.Create(() =>
        new GroupActor(GroupMessageExtractor.EntityIdOf(Group), new GroupsRoleOptions(10)
        {
            MaxMembersPerGroup = maxMembers,
            RebootstrapInterval = TimeSpan.FromHours(1),
        })));

    private static void AssertIntroduces(IntroduceGroupMembers message, params byte[][] peers)
    {
        Assert.Equal(Group, message.GroupId);
        Assert.Equal(peers.Length, message.Count);
        for (int i = 0; i < peers.Length; i++)
        {
            Assert.Equal(peers[i], message.PeerId(i).ToArray());
        }
    }

    [Fact]
    public void Members_on_any_node_hear_of_each_other_and_a_dead_member_is_forgotten()
    {
        var group = NewGroup();
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        var c = CreateTestProbe();
        byte[] pa = RandomNumberGenerator.GetBytes(32), pb = RandomNumberGenerator.GetBytes(32), pc = RandomNumberGenerator.GetBytes(32);

        group.Tell(new JoinGroup(Group, pa, 0), a.Ref);
        a.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // alone: nothing to introduce
        group.Tell(new JoinGroup(Group, pb, 0), b.Ref);
        AssertIntroduces(b.ExpectMsg<IntroduceGroupMembers>(), pa);
        AssertIntroduces(a.ExpectMsg<IntroduceGroupMembers>(), pb);

        Sys.Stop(b.Ref); // the session died (or its node was downed): the watch removes it
        AwaitAssert(() =>
        {
            group.Tell(new JoinGroup(Group, pc, 0), c.Ref);
            var toC = c.ExpectMsg<IntroduceGroupMembers>();
            AssertIntroduces(toC, pa);
        }, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void A_full_group_refuses_the_next_member()
    {
        var group = NewGroup();
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        var c = CreateTestProbe();
        group.Tell(new JoinGroup(Group, RandomNumberGenerator.GetBytes(32), 2), a.Ref);
        group.Tell(new JoinGroup(Group, RandomNumberGenerator.GetBytes(32), 2), b.Ref);
        b.ExpectMsg<IntroduceGroupMembers>();
        group.Tell(new JoinGroup(Group, RandomNumberGenerator.GetBytes(32), 2), c.Ref);
        Assert.Contains("full", c.ExpectMsg<GroupJoinRefused>().Reason);
    }

    [Fact]
    public void The_node_limit_caps_a_group_whatever_the_application_allows()
    {
        var group = NewGroup(maxMembers: 1);
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        group.Tell(new JoinGroup(Group, RandomNumberGenerator.GetBytes(32), 0), a.Ref);
        group.Tell(new JoinGroup(Group, RandomNumberGenerator.GetBytes(32), 1000), b.Ref);
        b.ExpectMsg<GroupJoinRefused>();
    }

    [Fact]
    public void A_group_stopped_with_members_tells_them_to_join_again()
    {
        var group = NewGroup();
        var a = CreateTestProbe();
        group.Tell(new JoinGroup(Group, RandomNumberGenerator.GetBytes(32), 0), a.Ref);
        group.Tell(PoisonPill.Instance); // a hand-off stops the entity
        Assert.Equal(Group, a.ExpectMsg<GroupEntityStopped>().GroupId);
    }

    [Fact]
    public void A_member_that_leaves_is_not_told_it_stopped_and_malformed_joins_are_ignored()
    {
        var group = NewGroup();
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        group.Tell(new JoinGroup(Group, new byte[5], 0), b.Ref); // not a peer ID
        group.Tell(new JoinGroup(Group, RandomNumberGenerator.GetBytes(32), 0), a.Ref);
        a.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        group.Tell(new LeaveGroup(Group), a.Ref);
        group.Tell(PoisonPill.Instance);
        a.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        b.ExpectNoMsg(TimeSpan.FromMilliseconds(10));
    }
}
