using Akka.Cluster;

namespace Rtmfp.Ops.Tests;

public class ClusterCommandTests(SharedNode shared)
{
    private OpsNode Node => shared.Node;
    private string Self => Akka.Cluster.Cluster.Get(Node.System).SelfAddress.ToString();

    [Fact(Timeout = 60_000)]
    public async Task Cluster_show_lists_the_single_up_member_with_its_roles_as_leader_and_self()
    {
        var r = await Cli.RunAsync(Node.Port, "cluster", "show", "--json");

        Assert.Equal(0, r.ExitCode);
        var json = r.Json;
        Assert.Equal(Self, json.GetProperty("self").GetString());
        Assert.Equal(Self, json.GetProperty("leader").GetString());
        var member = Assert.Single(json.GetProperty("members").EnumerateArray());
        Assert.Equal(Self, member.GetProperty("address").GetString());
        Assert.Equal("Up", member.GetProperty("status").GetString());
        Assert.Equal(["gateway", "groups", "sessions"], member.GetProperty("roles").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(1, member.GetProperty("ageRank").GetInt32());
        Assert.True(member.GetProperty("isLeader").GetBoolean());
        Assert.True(member.GetProperty("isSelf").GetBoolean());
        Assert.False(member.GetProperty("isUnreachable").GetBoolean());
        Assert.Empty(json.GetProperty("unreachable").EnumerateArray());
    }

    [Fact(Timeout = 60_000)]
    public async Task Cluster_show_prints_an_aligned_table_when_not_on_a_terminal()
    {
        var r = await Cli.RunAsync(Node.Port, "cluster", "show");

        Assert.Equal(0, r.ExitCode);
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith($"self {Self}, leader {Self}", lines[0]);
        Assert.StartsWith("Address", lines[1]);
        Assert.Contains("Status", lines[1]);
        Assert.StartsWith(Self, lines[2]);
        Assert.Contains(" Up ", lines[2]);
        Assert.Contains("gateway,groups,sessions", lines[2]);
        Assert.Contains("leader", lines[2]);
        Assert.DoesNotContain('│', r.Out);
    }

    [Fact(Timeout = 60_000)]
    public async Task Cluster_show_draws_a_spectre_table_on_a_terminal()
    {
        var r = await Cli.RunAsync(Node.Port, interactive: true, "cluster", "show");

        Assert.Equal(0, r.ExitCode);
        Assert.Contains('│', r.Out);
        Assert.Contains("Up", r.Out);
        Assert.Contains("Reachable", r.Out);
    }

    [Fact(Timeout = 60_000)]
    public async Task Cluster_leader_names_self_for_the_cluster_and_each_role()
    {
        var json = (await Cli.RunAsync(Node.Port, "cluster", "leader", "--json")).Json;

        Assert.Equal(Self, json.GetProperty("leader").GetString());
        var roles = json.GetProperty("roleLeaders");
        foreach (var role in new[] { "gateway", "sessions", "groups" })
        {
            Assert.Equal(Self, roles.GetProperty(role).GetString());
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Cluster_unreachable_is_empty_and_down_unreachable_downs_nobody()
    {
        var unreachable = (await Cli.RunAsync(Node.Port, "cluster", "unreachable", "--json")).Json;
        Assert.Empty(unreachable.GetProperty("unreachable").EnumerateArray());

        var plain = await Cli.RunAsync(Node.Port, "cluster", "unreachable");
        Assert.Equal("no unreachable members", plain.Out.Trim());

        var down = await Cli.RunAsync(Node.Port, "cluster", "down-unreachable", "--json");
        Assert.Equal(0, down.ExitCode);
        Assert.Empty(down.Json.GetProperty("addresses").EnumerateArray());
        Assert.Equal(MemberStatus.Up, Akka.Cluster.Cluster.Get(Node.System).SelfMember.Status);
    }

    [Theory(Timeout = 60_000)]
    [InlineData("join", "not-an-address", "is not an Akka address")]
    [InlineData("join", "akka.tcp://rtmfp", "is not an Akka address")]
    [InlineData("down", "akka.tcp://rtmfp@127.0.0.1:1", "is not a member")]
    [InlineData("leave", "akka.tcp://rtmfp@127.0.0.1:1", "is not a member")]
    public async Task Membership_commands_refuse_bad_or_unknown_addresses(string verb, string address, string expected)
    {
        var r = await Cli.RunAsync(Node.Port, "cluster", verb, address);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains(expected, r.Err);
        Assert.Equal("", r.Out);
        Assert.Equal(MemberStatus.Up, Akka.Cluster.Cluster.Get(Node.System).SelfMember.Status);
    }

    [Fact(Timeout = 60_000)]
    public async Task Membership_commands_without_an_address_are_command_line_errors()
    {
        var r = await Cli.RunAsync(Node.Port, "cluster", "down");

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("address", r.Err);
    }
}
