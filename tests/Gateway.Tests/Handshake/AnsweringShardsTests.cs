using Akka.Actor;
using Rtmfp.Cluster;
using Rtmfp.Gateway.Handshake;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Gateway.Tests.Handshake;

/// <summary>
/// Issue 9, new sessions within 10 s of a node loss: a handshake whose entity stalled keys again under a session ID in
/// a shard that answered this gateway lately from a reachable node (its home is known to the region, no coordinator
/// needed), else under the next probe as before.
/// </summary>
public class AnsweringShardsTests
{
    private const int ShardCount = 100;
    private static readonly Address Survivor = new("akka.tcp", "rtmfp", "10.0.0.2", 4053);
    private static readonly Address Dead = new("akka.tcp", "rtmfp", "10.0.0.3", 4053);
    private static readonly Address ThisNode = new("akka", "rtmfp");

    private readonly CookieJar _cookies = new(Enumerable.Repeat((byte)7, 32).ToArray(), TimeSpan.FromMinutes(1));
    private readonly byte[] _cookie = Enumerable.Range(0, CookieJar.CookieLength).Select(i => (byte)(i * 3)).ToArray();

    private static AnsweringShards Shards() => new(ShardCount, node => node.Equals(Survivor));

    private int ShardOfProbe(int probe) => EntityMessageExtractor.ShardIndexOf(_cookies.SessionIdFor(_cookie, probe), ShardCount);

    /// <summary>The first probe in (from, to] whose shard is <paramref name="shard"/>, or -1.</summary>
    private int FirstProbeIn(int shard, int from, int to)
    {
        for (int p = from + 1; p <= to; p++)
        {
            if (ShardOfProbe(p) == shard)
            {
                return p;
            }
        }
        return -1;
    }

    [Fact]
    public void With_no_shard_answering_the_next_probe_is_taken()
    {
        var shards = Shards();
        Assert.Equal(1, shards.NextProbe(_cookies, _cookie, 0, HandshakeFront.MaxStalledProbes, 10_000));
        Assert.Equal(6, shards.NextProbe(_cookies, _cookie, 5, HandshakeFront.MaxStalledProbes, 10_000));
    }

    [Fact]
    public void A_stalled_handshake_moves_to_a_shard_that_answered_from_a_reachable_node()
    {
        var shards = Shards();
        int target = ShardOfProbe(20);
        shards.Answered(_cookies.SessionIdFor(_cookie, 20), Survivor, 1_000);

        int expected = FirstProbeIn(target, 0, AnsweringShards.ProbesPerChoice);
        Assert.InRange(expected, 1, 20);
        Assert.Equal(expected, shards.NextProbe(_cookies, _cookie, 0, HandshakeFront.MaxStalledProbes, 2_000));
        Assert.True(shards.IsAnswering(_cookies.SessionIdFor(_cookie, expected), 2_000));
        // Another session ID in the same shard answers for it: the shard is what the region knows, not the entity.
        uint sameShard = (uint)(target + ShardCount * 12_345);
        Assert.True(shards.IsAnswering(sameShard, 2_000));
        Assert.False(shards.IsAnswering(sameShard + 1, 2_000));
    }

    [Fact]
    public void A_shard_on_an_unreachable_node_or_answering_too_long_ago_is_not_chosen()
    {
        var shards = Shards();
        uint onDead = _cookies.SessionIdFor(_cookie, 9);
        shards.Answered(onDead, Dead, 1_000);
        Assert.False(shards.IsAnswering(onDead, 1_500));
        Assert.Equal(1, shards.NextProbe(_cookies, _cookie, 0, HandshakeFront.MaxStalledProbes, 1_500));

        uint onSurvivor = _cookies.SessionIdFor(_cookie, 9);
        shards.Answered(onSurvivor, Survivor, 1_000);
        Assert.True(shards.IsAnswering(onSurvivor, 1_000 + AnsweringShards.FreshMs - 1));
        Assert.False(shards.IsAnswering(onSurvivor, 1_000 + AnsweringShards.FreshMs));
        Assert.Equal(1, shards.NextProbe(_cookies, _cookie, 0, HandshakeFront.MaxStalledProbes, 1_000 + AnsweringShards.FreshMs));
    }

    [Fact]
    public void An_entity_on_this_node_counts_as_reachable_whatever_the_cluster_view_says()
    {
        var shards = new AnsweringShards(ShardCount, _ => false);
        uint sid = _cookies.SessionIdFor(_cookie, 3);
        shards.Answered(sid, ThisNode, 0);
        Assert.True(shards.IsAnswering(sid, 100));
        Assert.Equal(FirstProbeIn(ShardOfProbe(3), 0, 3), shards.NextProbe(_cookies, _cookie, 0, HandshakeFront.MaxStalledProbes, 100));
    }

    [Fact]
    public void The_choice_stays_below_the_probe_bound_and_within_probes_per_choice()
    {
        var shards = Shards();
        const int window = AnsweringShards.ProbesPerChoice;
        // Only the shard of probe 300 answers: from a stall at probe 0 the window ends at 256, from 100 it does not.
        int target = ShardOfProbe(300);
        shards.Answered(_cookies.SessionIdFor(_cookie, 300), Survivor, 0);
        int fromZero = FirstProbeIn(target, 0, window);
        Assert.Equal(fromZero == -1 ? 1 : fromZero, shards.NextProbe(_cookies, _cookie, 0, HandshakeFront.MaxStalledProbes, 10));
        Assert.Equal(FirstProbeIn(target, 100, 100 + window), shards.NextProbe(_cookies, _cookie, 100, HandshakeFront.MaxStalledProbes, 10));
        // A bound of 300 leaves probes 101..299: the answering probe 300 is beyond it.
        int below = FirstProbeIn(target, 100, 299);
        Assert.Equal(below == -1 ? 101 : below, shards.NextProbe(_cookies, _cookie, 100, 300, 10));
    }

    [Fact]
    public void With_three_answering_shards_of_a_hundred_a_choice_almost_always_finds_one()
    {
        // CrashRecoveryTests: a gateway had seen answers from a few shards only, and 32 probes missed them all about
        // one time in three (0.97^32), so the new session waited for the coordinators' takeover.
        var shards = Shards();
        foreach (int probe in new[] { 500, 600, 700 })
        {
            shards.Answered(_cookies.SessionIdFor(_cookie, probe), Survivor, 0);
        }
        int found = 0;
        for (int i = 0; i < 200; i++)
        {
            var cookie = Enumerable.Range(0, CookieJar.CookieLength).Select(b => (byte)(b * 7 + i)).ToArray();
            int probe = shards.NextProbe(_cookies, cookie, -1, HandshakeFront.MaxStalledProbes, 10);
            found += shards.IsAnswering(_cookies.SessionIdFor(cookie, probe), 10) ? 1 : 0;
        }
        Assert.True(found >= 198, $"{found} of 200 keyings found an answering shard");
    }

    [Fact]
    public void A_lost_member_makes_first_keyings_steer_for_a_while()
    {
        var shards = Shards();
        Assert.False(shards.Degraded(5_000));
        shards.MemberLost(5_000);
        Assert.True(shards.Degraded(5_000));
        Assert.True(shards.Degraded(5_000 + AnsweringShards.DegradedMs - 1));
        Assert.False(shards.Degraded(5_000 + AnsweringShards.DegradedMs));

        // A first keying (-1) keeps probe 0 when nothing answers, or when probe 0's own shard answers.
        Assert.Equal(0, shards.NextProbe(_cookies, _cookie, -1, HandshakeFront.MaxStalledProbes, 6_000));
        shards.Answered(_cookies.SessionIdFor(_cookie, 0), Survivor, 6_000);
        Assert.Equal(0, shards.NextProbe(_cookies, _cookie, -1, HandshakeFront.MaxStalledProbes, 6_000));
    }
}
