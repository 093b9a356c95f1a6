// In-process classes four at a time (xunit's default on two cores is two): they mostly wait on sockets and timers and
// kept the cores about 30 % busy two at a time (docs/testing.md). The `cluster` and `node` collections run after them,
// one at a time, whatever this says.
[assembly: CollectionBehavior(MaxParallelThreads = 4)]

namespace Rtmfp.Integration.Tests;

/// <summary>Tests that measure the whole process (memory, floods) run alone, not beside other nodes.</summary>
[CollectionDefinition("node", DisableParallelization = true)]
public sealed class NodeCollection;

/// <summary>
/// Tests on three node processes that kill, stop or move nodes: alone, one at a time, after the in-process tests. Run
/// beside the in-process classes (session 12) they saved about 1.5 minutes but a whole-suite run then failed three
/// timing-sensitive tests at once (an RTMP stall test, a seeded group's delays, a shard coordinator's 5 s update timeout
/// during a rolling restart): two cores do not carry a three-node cluster and the other lane together (docs/testing.md).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "cluster";
}
