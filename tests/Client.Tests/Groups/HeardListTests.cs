using System.Security.Cryptography;
using Rtmfp.Client.Groups;

namespace Rtmfp.Client.Tests.Groups;

/// <summary>The heard list, the best list and the member-count estimate (docs/groups.md §6.4).</summary>
public sealed class HeardListTests
{
    private static byte[] PeerId(int i) => SHA256.HashData(BitConverter.GetBytes(i));

    private static (HeardList List, List<HeardMember> ByRing) Members(int count)
    {
        var list = new HeardList();
        for (int i = 0; i < count; i++)
        {
            Assert.True(list.TryAdd(PeerId(i), 0, out _));
        }
        var byRing = list.Members.OrderBy(m => m.Position).ToList();
        return (list, byRing);
    }

    [Fact]
    public void A_member_is_added_once_and_one_that_departed_stays_out_for_five_minutes()
    {
        var list = new HeardList();
        Assert.True(list.TryAdd(PeerId(1), 0, out var member));
        Assert.False(list.TryAdd(PeerId(1), 0, out var again));
        Assert.Same(member, again);
        Assert.True(list.Remove(member!.PeerIdHex, departed: true, 1000));
        Assert.False(list.TryAdd(PeerId(1), 2000, out var none));
        Assert.Null(none);
        Assert.True(list.TryAdd(PeerId(1), 1000 + HeardList.NewsTimeoutMs, out _));
    }

    [Fact]
    public void Members_without_news_for_five_minutes_expire_unless_kept()
    {
        var (list, ring) = Members(3);
        ring[0].LastNewsMs = HeardList.NewsTimeoutMs + 10;
        var expired = new List<string>();
        list.Expire(HeardList.NewsTimeoutMs + 5, hex => hex == ring[1].PeerIdHex, expired);
        Assert.Equal([ring[2].PeerIdHex], expired);
        Assert.Equal(2, list.Count);
    }

    [Fact]
    public void With_six_or_fewer_members_the_best_list_is_everyone_but_its_owner()
    {
        var (list, ring) = Members(6);
        var best = list.BestList(ring[2].Position, ring[2].PeerIdHex, [], 7, new Random(1));
        Assert.Equal(ring.Where((_, i) => i != 2).Select(m => m.PeerIdHex).ToHashSet(), best);
    }

    [Fact]
    public void The_best_list_holds_two_ring_predecessors_four_successors_and_reaches_its_target_size()
    {
        var (list, ring) = Members(200);
        var me = ring[100];
        double estimate = list.EstimatedMemberCount(me.Position);
        var best = list.BestList(me.Position, me.PeerIdHex, [], estimate, new Random(2));

        foreach (int offset in new[] { -2, -1, 1, 2, 3, 4 })
        {
            Assert.Contains(ring[100 + offset].PeerIdHex, best);
        }
        Assert.DoesNotContain(me.PeerIdHex, best);
        Assert.Equal(HeardList.TargetNeighborCount(estimate), best.Count);
    }

    [Fact]
    public void The_best_list_wraps_around_the_ring_and_takes_the_fastest_neighbours()
    {
        var (list, ring) = Members(50);
        var fast = new[] { ring[20].PeerIdHex, ring[30].PeerIdHex };
        var best = list.BestList(ring[0].Position, ring[0].PeerIdHex, fast, list.EstimatedMemberCount(ring[0].Position), new Random(3));
        Assert.Contains(ring[49].PeerIdHex, best);
        Assert.Contains(ring[48].PeerIdHex, best);
        Assert.Contains(ring[4].PeerIdHex, best);
        Assert.Contains(ring[20].PeerIdHex, best);
        Assert.Contains(ring[30].PeerIdHex, best);
    }

    [Fact]
    public void The_estimated_member_count_follows_the_ring_density_near_us()
    {
        foreach (int n in new[] { 50, 500, 5000 })
        {
            var (list, _) = Members(n - 1);
            // Seen from members not in the list (a member never hears of itself), the median over several places: one
            // place sees only four gaps, and 4 over a sum of 4 random gaps has a long tail.
            var estimates = Enumerable.Range(0, 41).Select(i => list.EstimatedMemberCount(RingPosition.OfPeer(PeerId(1_000_000 + i)))).Order().ToList();
            Assert.InRange(estimates[20], n * 0.6, n * 1.8);
        }
        Assert.Equal(3, Members(2).List.EstimatedMemberCount(default));
    }

    [Fact]
    public void The_target_neighbour_count_is_log2_of_the_estimate_plus_13()
    {
        Assert.Equal(13, HeardList.TargetNeighborCount(1));
        Assert.Equal(16, HeardList.TargetNeighborCount(8));
        Assert.Equal(23, HeardList.TargetNeighborCount(1500));
    }
}
