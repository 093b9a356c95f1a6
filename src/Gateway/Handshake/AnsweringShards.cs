using Akka.Actor;
using Rtmfp.Cluster;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Gateway.Handshake;

/// <summary>
/// Which session shards answered this gateway lately, and from which node (issue 9: new sessions within 10 s of a
/// node loss). A new session's entity lives in the shard its session ID hashes to; a shard this node's region has
/// not routed to yet needs the shard coordinator, and after the loss of the oldest node the coordinator itself is
/// gone until another node takes it over (7–15 s, docs/decisions.md "Crash recovery timing"). A shard whose entity
/// answered this gateway through the region lately has a home the region already knows, on a node that was alive
/// then. So when a handshake stalls (<see cref="KeyingReplayCache.OpenStallMs"/>), the next session ID is chosen,
/// among the next probes of its cookie, in such a shard on a node still reachable: the session opens without the
/// coordinator. Written by the gateway actor, read by the receive thread: single-word reads and writes, a torn
/// pair only costs one wrong choice (the handshake stalls once more).
/// </summary>
internal sealed class AnsweringShards
{
    /// <summary>An answer older than this says nothing about the shard's home any more (it may have moved since).</summary>
    public const long FreshMs = 30_000;

    /// <summary>
    /// Probes tried past the stalled one (one HMAC each, about a microsecond): a gateway may have seen answers from a few
    /// shards only (3 of 100 in CrashRecoveryTests, where 32 probes missed them one time in three); 256 miss them with
    /// a chance of 0.97^256 ≈ 4·10⁻⁴.
    /// </summary>
    public const int ProbesPerChoice = 256;

    /// <summary>
    /// How long after a node was lost (unreachable or removed) new handshakes key into answering shards from the start:
    /// the coordinators' takeover took up to 15 s on a loaded 2-core machine (docs/decisions.md "Crash recovery timing").
    /// </summary>
    public const long DegradedMs = 30_000;

    private readonly long[] _answeredAtMs;
    private long _memberLostAtMs = long.MinValue / 2;
    private readonly Address?[] _node;
    private readonly Func<Address, bool> _isReachable;

    /// <param name="shardCount">The session region's shard count (as its message extractor).</param>
    /// <param name="isReachable">Whether a node is a reachable member now (the cluster's current view).</param>
    public AnsweringShards(int shardCount, Func<Address, bool> isReachable)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardCount, 1);
        _answeredAtMs = new long[shardCount];
        _node = new Address?[shardCount];
        _isReachable = isReachable;
    }

    /// <summary>The entity of <paramref name="sessionId"/> answered this gateway from <paramref name="node"/>.</summary>
    public void Answered(uint sessionId, Address node, long nowMs)
    {
        int shard = EntityMessageExtractor.ShardIndexOf(sessionId, _answeredAtMs.Length);
        Volatile.Write(ref _node[shard], node);
        Volatile.Write(ref _answeredAtMs[shard], nowMs);
    }

    /// <summary>A cluster member became unreachable or was removed at <paramref name="nowMs"/>.</summary>
    public void MemberLost(long nowMs) => Volatile.Write(ref _memberLostAtMs, nowMs);

    /// <summary>Whether a member was lost within <see cref="DegradedMs"/>: shard homes may need a coordinator that is gone.</summary>
    public bool Degraded(long nowMs) => nowMs - Volatile.Read(ref _memberLostAtMs) < DegradedMs;

    /// <summary>Whether the shard of <paramref name="sessionId"/> answered within <see cref="FreshMs"/> from a node reachable now.</summary>
    public bool IsAnswering(uint sessionId, long nowMs)
    {
        int shard = EntityMessageExtractor.ShardIndexOf(sessionId, _answeredAtMs.Length);
        long at = Volatile.Read(ref _answeredAtMs[shard]);
        var node = Volatile.Read(ref _node[shard]);
        // A local entity's address has no host (akka://system): this node, reachable by definition.
        return node is not null && nowMs - at < FreshMs && (node.HasLocalScope || _isReachable(node));
    }

    /// <summary>
    /// The probe to key again with after <paramref name="stalledProbe"/> stalled (-1: a first keying while
    /// <see cref="Degraded"/>): the first of the next <see cref="ProbesPerChoice"/> (below <paramref name="maxProbe"/>)
    /// whose session ID falls in an answering shard, else simply the next one.
    /// </summary>
    public int NextProbe(CookieJar cookies, ReadOnlySpan<byte> cookie, int stalledProbe, int maxProbe, long nowMs)
    {
        int last = Math.Min(maxProbe - 1, stalledProbe + ProbesPerChoice);
        for (int probe = stalledProbe + 1; probe <= last; probe++)
        {
            if (IsAnswering(cookies.SessionIdFor(cookie, probe), nowMs))
            {
                return probe;
            }
        }
        return stalledProbe + 1;
    }
}
