using Xunit.Sdk;
using Xunit.v3;
using Rtmfp.Integration.Tests;

[assembly: TestCollectionOrderer(typeof(ClusterLaneFirst))]

namespace Rtmfp.Integration.Tests;

/// <summary>Tests that measure the whole process (memory, floods) run alone, not beside other nodes.</summary>
[CollectionDefinition("node", DisableParallelization = true)]
public sealed class NodeCollection;

/// <summary>
/// Tests on three node processes that kill, stop or move nodes: one at a time (two such clusters at once would be
/// twelve processes on the two cores CI has, and their failure detectors' 2 s pause is a timing of its own), but beside
/// the in-process tests, which hold the other lane: the suite's longest serial stretch used to wait for them.
/// </summary>
[CollectionDefinition("cluster")]
public sealed class ClusterCollection;

/// <summary>
/// Starts the "cluster" collection first (its classes are the longest lane), the rest in xunit's own (shuffled) order.
/// </summary>
public sealed class ClusterLaneFirst : ITestCollectionOrderer
{
    public IReadOnlyCollection<TTestCollection> OrderTestCollections<TTestCollection>(IReadOnlyCollection<TTestCollection> testCollections)
        where TTestCollection : ITestCollection
    {
        var ordered = DefaultTestCollectionOrderer.Instance.OrderTestCollections(testCollections);
        var first = new List<TTestCollection>(ordered.Count);
        foreach (var collection in ordered)
        {
            if (collection.TestCollectionDisplayName == "cluster")
            {
                first.Add(collection);
            }
        }
        foreach (var collection in ordered)
        {
            if (collection.TestCollectionDisplayName != "cluster")
            {
                first.Add(collection);
            }
        }
        return first;
    }
}
