using System.Security.Cryptography;
using Akka.Actor;
using Akka.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Rtmfp.Client.Flash;
using Rtmfp.Client.Groups;
using Rtmfp.Sessions.Groups.Seeding;
using Rtmfp.Shared.Groups;

namespace Rtmfp.Integration.Tests.Groups;

/// <summary>
/// Nodes of one cluster (in this process) that seed the stream <c>seed/cam</c> into one group (docs/groups.md §7):
/// one cookie secret, so every node answers for the same server member; startup bounds raised, since every member
/// of a test connects from 127.0.0.1.
/// </summary>
public sealed class SeededCluster : IAsyncDisposable
{
    public const string StreamName = "cam";

    private SeededCluster(string specifier, byte[] secret, List<RunningNode> nodes)
    {
        Specifier = specifier;
        Nodes = nodes;
        using var identity = GroupSeedIdentity.Derive(GroupSpecifier.TryParse(specifier, out _)!, secret);
        SeedPeerIdHex = Convert.ToHexStringLower(identity.PeerId);
    }

    public string Specifier { get; }

    public IReadOnlyList<RunningNode> Nodes { get; }

    /// <summary>The server member's peer ID, as every node derives it.</summary>
    public string SeedPeerIdHex { get; }

    public string UriOf(int node) => $"rtmfp://{Nodes[node].Endpoint}/seed";

    public static GroupSeedStatistics StatisticsOf(RunningNode node) => node.Host.Services.GetRequiredService<GroupSeedStatistics>();

    /// <summary>Starts <paramref name="count"/> nodes seeding a group of its own (a random name).</summary>
    public static async Task<SeededCluster> StartAsync(int count, params (string Key, string Value)[] extra)
    {
        string specifier = NetGroupTests.Specifier("seed" + Guid.NewGuid().ToString("n")[..10]);
        byte[] secret = RandomNumberGenerator.GetBytes(32);
        var settings = new List<(string, string)>
        {
            ("Rtmfp:Cluster:Port", "0"),
            ("Rtmfp:Gateway:CookieSecret", Convert.ToHexStringLower(secret)),
            ("Rtmfp:Groups:Seeds:0:Group", specifier),
            ("Rtmfp:Groups:Seeds:0:Stream", "seed/" + StreamName),
            ("Rtmfp:Gateway:HellosPerAddress", "100000"), ("Rtmfp:Gateway:HellosPerPrefix", "100000"),
            ("Rtmfp:Gateway:HandshakesPerAddress", "100000"), ("Rtmfp:Gateway:HandshakesPerPrefix", "100000"),
            ("Rtmfp:Gateway:SessionsPerAddress", "100000"), ("Rtmfp:Gateway:SessionsPerPrefix", "100000"),
            ("Rtmfp:Gateway:LookupsPerAddress", "100000"), ("Rtmfp:Gateway:LookupsPerPrefix", "100000"), ("Rtmfp:Gateway:Lookups", "100000"),
        };
        settings.AddRange(extra);
        var nodes = new List<RunningNode>();
        try
        {
            nodes.Add(await RunningNode.StartAsync([.. settings]));
            string seed = Akka.Cluster.Cluster.Get(nodes[0].System).SelfAddress.ToString();
            for (int i = 1; i < count; i++)
            {
                nodes.Add(await RunningNode.StartAsync([.. settings, ("Rtmfp:Cluster:SeedNodes", seed)]));
            }
            await TwoNodes.WaitForAsync(() => Task.FromResult(nodes.All(n => TwoNodes.UpMembers(n) == count)), "every node Up", 30);
            foreach (var region in new[] { "session", "stream", "peer-directory", "group", "group-seed" })
            {
                foreach (var node in nodes)
                {
                    await TwoNodes.WaitForRegionsAsync(node, region, count);
                }
            }
            return new SeededCluster(specifier, secret, nodes);
        }
        catch
        {
            await RunningNode.DisposeAllAsync([.. nodes]);
            throw;
        }
    }

    /// <summary>A publisher of <c>seed/cam</c> through node <paramref name="node"/>'s gateway.</summary>
    public async Task<(FlashNetConnection Connection, FlashNetStream Stream)> PublishAsync(int node, CancellationToken ct)
    {
        var connection = await FlashNetConnection.ConnectAsync(UriOf(node)).WaitAsync(TimeSpan.FromSeconds(20), ct);
        var stream = await connection.CreateStreamAsync(ct);
        await stream.PublishAsync(StreamName, cancellationToken: ct);
        return (connection, stream);
    }

    public ValueTask DisposeAsync() => RunningNode.DisposeAllAsync([.. Enumerable.Reverse(Nodes)]);
}
