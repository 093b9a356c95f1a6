using System.Text.Json;

namespace Rtmfp.Ops.Tests;

public class ActorCommandTests(SharedNode shared)
{
    private OpsNode Node => shared.Node;

    private static IEnumerable<JsonElement> Descendants(JsonElement node)
    {
        foreach (var child in node.GetProperty("children").EnumerateArray())
        {
            yield return child;
            foreach (var d in Descendants(child))
            {
                yield return d;
            }
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Hierarchy_of_system_sharding_shows_the_session_region_and_its_coordinator()
    {
        var r = await Cli.RunAsync(Node.Port, "actor", "hierarchy", "/system/sharding", "--depth", "2", "--json");

        Assert.Equal(0, r.ExitCode);
        var root = r.Json.GetProperty("root");
        Assert.Equal("/system/sharding", root.GetProperty("path").GetString());
        var children = root.GetProperty("children").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
        Assert.Contains("session", children);
        Assert.Contains("sessionCoordinator", children);
        var coordinator = root.GetProperty("children").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "sessionCoordinator");
        Assert.Contains("singleton", coordinator.GetProperty("children").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal(1 + Descendants(root).Count(), r.Json.GetProperty("count").GetInt32());
        Assert.False(r.Json.GetProperty("truncated").GetBoolean());
    }

    [Fact(Timeout = 60_000)]
    public async Task Depth_bounds_the_walk()
    {
        var shallow = (await Cli.RunAsync(Node.Port, "actor", "hierarchy", "/system", "--depth", "1", "--json")).Json;
        var deeper = (await Cli.RunAsync(Node.Port, "actor", "hierarchy", "/system", "--depth", "2", "--json")).Json;

        var shallowRoot = shallow.GetProperty("root");
        Assert.NotEmpty(shallowRoot.GetProperty("children").EnumerateArray());
        Assert.All(shallowRoot.GetProperty("children").EnumerateArray(), c => Assert.Empty(c.GetProperty("children").EnumerateArray()));
        Assert.True(deeper.GetProperty("count").GetInt32() > shallow.GetProperty("count").GetInt32());
    }

    [Fact(Timeout = 60_000)]
    public async Task Hierarchy_prints_an_indented_tree_in_plain_text()
    {
        var r = await Cli.RunAsync(Node.Port, "actor", "hierarchy", "/system/sharding", "-d", "1");

        Assert.Equal(0, r.ExitCode);
        var lines = r.Out.Replace("\r", "", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("actor(s), depth 1", lines[0]);
        Assert.Equal("/system/sharding", lines[1]);
        Assert.Contains("  session", lines);
    }

    [Theory(Timeout = 60_000)]
    [InlineData("/user/does-not-exist", "no actor at '/user/does-not-exist'")]
    [InlineData("user", "is not an actor path")]
    [InlineData("/user/*", "no wildcards")]
    public async Task Bad_paths_are_errors(string path, string expected)
    {
        var r = await Cli.RunAsync(Node.Port, "actor", "hierarchy", path);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains(expected, r.Err);
    }

    [Fact(Timeout = 60_000)]
    public async Task Depth_out_of_range_is_an_error()
    {
        var r = await Cli.RunAsync(Node.Port, "actor", "hierarchy", "/system", "--depth", "11");

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("'depth': '11' is not an integer in [1, 10]", r.Err);
    }
}
