using Akka.Actor;
using Akka.Persistence;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>
/// On Redis Cluster the plugins switch to the <c>{__pid}.</c> key form by themselves: the journal's
/// MULTI/EXEC spans two keys, which the driver only allows when they share a slot.
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class ClusterModeTests(RedisCluster cluster) : RedisPersistenceSpec(cluster, """
    akka.persistence.journal.redis.database = 3
    """)
{
    [Fact(Timeout = 30_000)]
    public async Task Detects_the_cluster_and_uses_hash_tagged_keys_in_database_0()
    {
        var first = Sys.ActorOf(Recorder.Props("clustered"));
        first.Tell("a");
        ExpectMsg("a");
        first.Tell(new Recorder.TakeSnapshot());
        ExpectMsg<SaveSnapshotSuccess>();
        first.Tell("b");
        ExpectMsg("b");
        Watch(first);
        first.Tell(PoisonPill.Instance);
        ExpectTerminated(first);

        var second = Sys.ActorOf(Recorder.Props("clustered"));
        second.Tell(new Recorder.GetState());
        var state = ExpectMsg<Recorder.State>();
        Assert.Equal(["a", "b"], state.Events);
        Assert.Equal(1, state.RecoveredFromSnapshotAt);

        var db = cluster.Database(0);
        Assert.Equal(2, await db.SortedSetLengthAsync($"{{__clustered}}.{KeyPrefix}journal:persisted:clustered"));
        Assert.Equal("2", (string?)await db.StringGetAsync($"{{__clustered}}.{KeyPrefix}journal:persisted:clustered:highestSequenceNr"));
        Assert.Equal(1, await db.SortedSetLengthAsync($"{{__clustered}}.{KeyPrefix}snapshot:clustered"));
        Assert.False(await db.KeyExistsAsync($"{KeyPrefix}journal:persisted:clustered"));
    }
}
