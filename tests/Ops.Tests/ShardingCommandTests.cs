using Rtmfp.Cluster;
using Akka.Cluster;

namespace Rtmfp.Ops.Tests;

public class ShardingCommandTests(SharedNode shared)
{
    private OpsNode Node => shared.Node;

    [Fact(Timeout = 60_000)]
    public async Task Sharding_regions_lists_the_session_region()
    {
        var r = await Cli.RunAsync(Node.Port, "sharding", "regions", "--json");

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("session", r.Json.GetProperty("regions").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact(Timeout = 60_000)]
    public async Task Region_stats_for_session_answers_for_the_single_member_which_hosts_the_coordinator()
    {
        var r = await Cli.RunAsync(Node.Port, "sharding", "region-stats", "-r", "session", "--json");

        Assert.Equal(0, r.ExitCode);
        Assert.Equal("session", r.Json.GetProperty("region").GetString());
        var member = Assert.Single(r.Json.GetProperty("members").EnumerateArray());
        Assert.Equal(Akka.Cluster.Cluster.Get(Node.System).SelfAddress.ToString(), member.GetProperty("address").GetString());
        Assert.Equal("Up", member.GetProperty("status").GetString());
        Assert.True(member.GetProperty("coordinator").GetBoolean());
        Assert.True(member.GetProperty("shards").GetInt32() >= 0);
        Assert.True(member.GetProperty("entities").GetInt32() >= 0);
    }

    [Fact(Timeout = 60_000)]
    public async Task Region_stats_prints_a_total_row_in_plain_text()
    {
        var r = await Cli.RunAsync(Node.Port, "sharding", "region-stats", "--region", "session");

        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("region session", r.Out);
        Assert.Contains("coordinator", r.Out);
        Assert.Contains("\ntotal", r.Out.Replace("\r", "", StringComparison.Ordinal));
    }

    [Fact(Timeout = 60_000)]
    public async Task Shard_state_for_session_answers_with_this_node()
    {
        var r = await Cli.RunAsync(Node.Port, "sharding", "shard-state", "-r", "session", "--json");

        Assert.Equal(0, r.ExitCode);
        Assert.Equal(Akka.Cluster.Cluster.Get(Node.System).SelfAddress.ToString(), r.Json.GetProperty("node").GetString());
        foreach (var shard in r.Json.GetProperty("shards").EnumerateArray())
        {
            Assert.Equal(shard.GetProperty("entities").GetInt32(), shard.GetProperty("entityIds").GetArrayLength());
        }
    }

    [Theory(Timeout = 60_000)]
    [InlineData("region-stats")]
    [InlineData("shard-state")]
    public async Task An_unknown_region_is_an_error_naming_the_known_ones(string verb)
    {
        var r = await Cli.RunAsync(Node.Port, "sharding", verb, "-r", "nope");

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no shard region 'nope'", r.Err);
        Assert.Contains("session", r.Err);
    }

    [Fact(Timeout = 60_000)]
    public async Task The_region_option_is_required()
    {
        var r = await Cli.RunAsync(Node.Port, "sharding", "region-stats");

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--region", r.Err);
    }
}
