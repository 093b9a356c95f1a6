using System.Security.Cryptography;
using Rtmfp.Shared.Groups;

namespace Rtmfp.Groups.Tests;

/// <summary>
/// The introduction rule (docs/groups.md) on its own: who hears of whom on a join, a leave and a re-bootstrap, and,
/// simulated over many members, that the overlay the introductions build is connected, has a short diameter and
/// stays connected when a fifth of the members leave.
/// </summary>
public class GroupOverlayTests
{
    private sealed record Peer(int Key, byte[] PeerId, byte[] Address);

    private static Peer NewPeer(int key)
    {
        var id = RandomNumberGenerator.GetBytes(32);
        return new Peer(key, id, GroupAddress.Of(id));
    }

    private static List<int> Told(IntroductionBatch<int> batch, int member, Dictionary<byte[], int> keys) =>
        batch.ByMember.TryGetValue(member, out var peers) ? peers.Select(p => keys[p]).OrderBy(k => k).ToList() : [];

    [Fact]
    public void In_a_small_group_everyone_hears_of_everyone_and_nobody_of_itself()
    {
        var overlay = new GroupOverlay<int>(new Random(1));
        var batch = new IntroductionBatch<int>();
        var peers = Enumerable.Range(0, GroupOverlay<int>.SmallGroup).Select(NewPeer).ToList();
        var keys = peers.ToDictionary(p => p.PeerId, p => p.Key, ReferenceEqualityComparer.Instance as IEqualityComparer<byte[]>);
        foreach (var p in peers)
        {
            batch.Clear();
            Assert.True(overlay.Join(p.Key, p.PeerId, p.Address, 0, batch));
            Assert.Equal(Enumerable.Range(0, p.Key).ToList(), Told(batch, p.Key, keys)); // the joiner: everyone before it
            for (int k = 0; k < p.Key; k++)
            {
                Assert.Equal([p.Key], Told(batch, k, keys)); // everyone before it: the joiner
            }
        }
        batch.Clear();
        overlay.Rebootstrap(0, batch);
        foreach (var p in peers)
        {
            Assert.Equal(peers.Where(o => o != p).Select(o => o.Key).ToList(), Told(batch, p.Key, keys));
        }
    }

    [Fact]
    public void A_joiner_hears_of_its_ring_window_and_random_members_and_the_window_hears_of_it()
    {
        var overlay = new GroupOverlay<int>(new Random(2));
        var batch = new IntroductionBatch<int>();
        var peers = Enumerable.Range(0, 50).Select(NewPeer).ToList();
        var keys = peers.ToDictionary(p => p.PeerId, p => p.Key, ReferenceEqualityComparer.Instance as IEqualityComparer<byte[]>);
        foreach (var p in peers)
        {
            overlay.Join(p.Key, p.PeerId, p.Address, 0, batch);
        }
        var joiner = NewPeer(50);
        keys[joiner.PeerId] = 50;
        batch.Clear();
        overlay.Join(50, joiner.PeerId, joiner.Address, 0, batch);

        var ring = peers.Append(joiner).OrderBy(p => Convert.ToHexStringLower(p.Address), StringComparer.Ordinal).ToList();
        int at = ring.IndexOf(joiner);
        var window = new HashSet<int>();
        for (int k = 1; k <= GroupOverlay<int>.RingWindow; k++)
        {
            window.Add(ring[(at - k + ring.Count) % ring.Count].Key);
            window.Add(ring[(at + k) % ring.Count].Key);
        }
        var toJoiner = Told(batch, 50, keys);
        Assert.Equal(window.Count + GroupOverlay<int>.RandomPicks, toJoiner.Count);
        Assert.Superset(window, toJoiner.ToHashSet());
        Assert.DoesNotContain(50, toJoiner);
        foreach (int neighbour in window)
        {
            Assert.Equal([50], Told(batch, neighbour, keys));
        }
        // Nobody else hears of the joiner.
        Assert.Equal(window.Count + 1, batch.Count);
    }

    [Fact]
    public void A_leavers_ring_gap_closes_and_it_is_never_introduced_again()
    {
        var overlay = new GroupOverlay<int>(new Random(3));
        var batch = new IntroductionBatch<int>();
        var peers = Enumerable.Range(0, 30).Select(NewPeer).ToList();
        var keys = peers.ToDictionary(p => p.PeerId, p => p.Key, ReferenceEqualityComparer.Instance as IEqualityComparer<byte[]>);
        foreach (var p in peers)
        {
            overlay.Join(p.Key, p.PeerId, p.Address, 0, batch);
        }
        var ring = peers.OrderBy(p => Convert.ToHexStringLower(p.Address), StringComparer.Ordinal).ToList();
        var leaver = ring[10];
        batch.Clear();
        Assert.True(overlay.Leave(leaver.Key, batch));
        Assert.False(overlay.Leave(leaver.Key, batch));

        // The k-th predecessor hears of the member now k places into its successor window.
        Assert.Equal([ring[13].Key], Told(batch, ring[9].Key, keys));
        Assert.Equal([ring[12].Key], Told(batch, ring[8].Key, keys));
        Assert.Equal([ring[11].Key], Told(batch, ring[7].Key, keys));
        Assert.Equal(3, batch.Count);

        batch.Clear();
        overlay.Rebootstrap(0, batch); // everyone is young at time 0
        Assert.DoesNotContain(batch.ByMember.Values.SelectMany(v => v), p => p.AsSpan().SequenceEqual(leaver.PeerId));
        Assert.False(batch.ByMember.ContainsKey(leaver.Key));
    }

    [Fact]
    public void Only_young_members_of_a_large_group_are_rebootstrapped()
    {
        var overlay = new GroupOverlay<int>(new Random(4));
        var batch = new IntroductionBatch<int>();
        for (int i = 0; i < 20; i++)
        {
            var p = NewPeer(i);
            overlay.Join(i, p.PeerId, p.Address, nowMs: i < 19 ? 0 : 100_000, batch);
        }
        batch.Clear();
        Assert.True(overlay.NeedsRebootstrap(100_000));
        overlay.Rebootstrap(100_000, batch);
        Assert.Equal([19], batch.ByMember.Keys.ToList());
        Assert.Equal(2 * GroupOverlay<int>.RingWindow + 1, batch.ByMember[19].Count);
        Assert.False(overlay.NeedsRebootstrap(100_000 + GroupOverlay<int>.RecentMs));
    }

    [Fact]
    public void The_same_peer_id_twice_is_never_introduced_to_itself()
    {
        var overlay = new GroupOverlay<int>(new Random(5));
        var batch = new IntroductionBatch<int>();
        var p = NewPeer(0);
        overlay.Join(0, p.PeerId, p.Address, 0, batch);
        overlay.Join(1, p.PeerId, p.Address, 0, batch); // a second session with a replayed certificate
        Assert.Equal(0, batch.Count);
    }

    [Theory]
    [InlineData(60, 11)]
    [InlineData(200, 12)]
    [InlineData(1000, 13)]
    public void The_introduced_overlay_is_connected_short_and_survives_a_fifth_leaving(int members, int seed)
    {
        // Members connect to every peer they are told about (librtmfp does, docs/groups.md §2.3); the server's
        // introductions alone, without any peer-to-peer reports, must already give a connected overlay.
        var random = new Random(seed);
        var overlay = new GroupOverlay<int>(random);
        var batch = new IntroductionBatch<int>();
        var peers = Enumerable.Range(0, members).Select(NewPeer).ToList();
        var keys = peers.ToDictionary(p => p.PeerId, p => p.Key, ReferenceEqualityComparer.Instance as IEqualityComparer<byte[]>);
        var edges = Enumerable.Range(0, members).Select(_ => new HashSet<int>()).ToArray();
        void Apply()
        {
            foreach (var (member, told) in batch.ByMember)
            {
                foreach (var peer in told)
                {
                    edges[member].Add(keys[peer]);
                    edges[keys[peer]].Add(member);
                }
            }
            batch.Clear();
        }
        foreach (var p in peers)
        {
            overlay.Join(p.Key, p.PeerId, p.Address, 0, batch);
            Apply();
        }
        var alive = Enumerable.Range(0, members).ToHashSet();
        int diameter = Diameter(edges, alive);
        Assert.InRange(diameter, 1, (int)(2 * Math.Log2(members)));

        foreach (int gone in alive.OrderBy(_ => random.Next()).Take(members / 5).ToList())
        {
            alive.Remove(gone);
            foreach (var e in edges)
            {
                e.Remove(gone);
            }
            edges[gone].Clear();
            overlay.Leave(gone, batch);
            Apply();
        }
        Assert.InRange(Diameter(edges, alive), 1, (int)(2 * Math.Log2(alive.Count)));
    }

    /// <summary>Longest shortest path over <paramref name="alive"/>; int.MaxValue when the graph is not connected.</summary>
    private static int Diameter(HashSet<int>[] edges, HashSet<int> alive)
    {
        int diameter = 0;
        foreach (int start in alive)
        {
            var distance = new Dictionary<int, int> { [start] = 0 };
            var queue = new Queue<int>([start]);
            while (queue.Count > 0)
            {
                int at = queue.Dequeue();
                foreach (int next in edges[at])
                {
                    if (alive.Contains(next) && distance.TryAdd(next, distance[at] + 1))
                    {
                        queue.Enqueue(next);
                    }
                }
            }
            if (distance.Count != alive.Count)
            {
                return int.MaxValue;
            }
            diameter = Math.Max(diameter, distance.Values.Max());
        }
        return diameter;
    }
}
