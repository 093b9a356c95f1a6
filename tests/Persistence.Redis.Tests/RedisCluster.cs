using System.Globalization;
using StackExchange.Redis;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>
/// A Redis Cluster of three masters (slots 0-5460, 5461-10922, 10923-16383), each a cluster-enabled
/// redis-server of its own on loopback, so the persistence IDs of one test land on different masters and
/// the plugins' hash-tagged keys (all keys of one ID in one slot) are what makes MULTI/EXEC legal.
/// Shared by the cluster specs through <see cref="RedisClusterCollection"/>; each spec keeps to its own
/// key prefix, and the processes go with the fixture.
/// </summary>
public sealed class RedisCluster : RedisTarget, IAsyncLifetime
{
    private static readonly (int First, int Last)[] Slots = [(0, 5460), (5461, 10922), (10923, 16383)];

    private readonly List<RedisProcess> _masters = [];
    private ConnectionMultiplexer? _inspector;

    public IReadOnlyList<RedisProcess> Masters => _masters;

    public override string ConnectionString => string.Join(",", _masters.Select(m => m.ConnectionString));

    public override bool Clustered => true;

    public override IDatabase Database(int db = 0) => _inspector!.GetDatabase(db);

    public IConnectionMultiplexer Inspector => _inspector!;

    public override Task DeleteKeysAsync(string keyPrefix) => Task.CompletedTask; // the cluster goes with the fixture

    public async ValueTask InitializeAsync()
    {
        var busPorts = new List<int>();
        foreach (var _ in Slots)
        {
            // The bus port is chosen too: the default (port + 10000) may not exist above port 55535.
            var bus = RedisProcess.FreePort();
            busPorts.Add(bus);
            _masters.Add(RedisProcess.Start(false, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-port", bus.ToString(CultureInfo.InvariantCulture)));
        }

        var admins = new List<ConnectionMultiplexer>();
        try
        {
            foreach (var master in _masters)
                admins.Add(await ConnectionMultiplexer.ConnectAsync($"{master.ConnectionString},allowAdmin=true"));
            var servers = admins.Select(a => a.GetServer(a.GetEndPoints()[0])).ToArray();
            for (var i = 0; i < servers.Length; i++)
            {
                await servers[i].ExecuteAsync("CLUSTER", "ADDSLOTSRANGE", Slots[i].First, Slots[i].Last);
                if (i > 0) await servers[i].ExecuteAsync("CLUSTER", "MEET", "127.0.0.1", _masters[0].Port, busPorts[0]);
            }

            // Every master must see the whole cluster as ok before a client may rely on its slot map.
            var deadline = DateTime.UtcNow.AddSeconds(20);
            foreach (var server in servers)
            {
                while (true)
                {
                    var info = (string?)await server.ExecuteAsync("CLUSTER", "INFO") ?? "";
                    if (info.Contains("cluster_state:ok", StringComparison.Ordinal) && info.Contains("cluster_known_nodes:3", StringComparison.Ordinal))
                        break;
                    if (DateTime.UtcNow > deadline) throw new TimeoutException($"Redis Cluster not ok: {info}");
                    await Task.Delay(50);
                }
            }
        }
        finally
        {
            foreach (var admin in admins) await admin.DisposeAsync();
        }

        _inspector = await ConnectionMultiplexer.ConnectAsync($"{ConnectionString},allowAdmin=true");
    }

    /// <summary>The master that serves <paramref name="key"/>'s slot, as the cluster itself says.</summary>
    public async Task<int> SlotOfAsync(string key) =>
        (int)await _inspector!.GetServer(_inspector.GetEndPoints()[0]).ExecuteAsync("CLUSTER", "KEYSLOT", key);

    public async ValueTask DisposeAsync()
    {
        if (_inspector is not null) await _inspector.DisposeAsync();
        foreach (var master in _masters) master.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class RedisClusterCollection : ICollectionFixture<RedisCluster>
{
    public const string Name = "redis-cluster";
}
