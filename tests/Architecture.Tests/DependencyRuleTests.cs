namespace Rtmfp.Architecture.Tests;

/// <summary>
/// The seams of docs/architecture.md, read from the project files: plain code stays free of Akka, roles do not
/// reach into each other, and tools reach only what they need. A rule broken names the project and the path.
/// </summary>
public sealed class DependencyRuleTests
{
    /// <summary>The roles a node can play, each in its own project (Rtmp: RTMP over TCP, issue 13).</summary>
    private static readonly string[] Roles = ["Gateway", "Sessions", "Groups", "Rtmp"];

    [Fact]
    public void The_projects_the_rules_speak_of_exist()
    {
        foreach (var name in new[] { "Shared", "Flash", "Engine", "Cluster", "Gateway", "Sessions", "Groups", "Rtmp", "Client", "OpsCli", "Ops.Protocol", "Node" })
        {
            Assert.True(Repository.Projects.ContainsKey(name), $"src/{name} has no project file");
        }
    }

    [Theory]
    [InlineData("Shared")]
    [InlineData("Flash")]
    [InlineData("Engine")]
    [InlineData("OpsCli")]
    [InlineData("Ops.Protocol")]
    [InlineData("Client")]
    public void Plain_code_and_tools_reach_no_Akka(string project)
    {
        var akka = Repository.PackagesReached(project).Where(p => p.StartsWith("Akka", StringComparison.Ordinal)).ToList();
        Assert.Empty(akka);
    }

    [Theory]
    [InlineData("Flash", new[] { "Engine", "Cluster", "Gateway", "Sessions", "Groups", "Rtmp" })]
    [InlineData("Gateway", new[] { "Engine", "Sessions", "Groups" })]
    [InlineData("Sessions", new[] { "Gateway", "Groups" })]
    [InlineData("Groups", new[] { "Gateway", "Sessions", "Engine" })]
    [InlineData("Rtmp", new[] { "Gateway", "Sessions", "Groups", "Engine" })]
    [InlineData("Client", new[] { "Cluster", "Gateway", "Sessions", "Groups", "Rtmp" })]
    [InlineData("Cluster", new[] { "Engine", "Gateway", "Sessions", "Groups", "Rtmp" })]
    [InlineData("Engine", new[] { "Flash", "Cluster", "Gateway", "Sessions", "Groups", "Rtmp" })]
    [InlineData("Shared", new[] { "Flash", "Engine", "Cluster", "Gateway", "Sessions", "Groups", "Rtmp", "Client" })]
    public void A_project_does_not_reach_what_its_layer_must_not(string project, string[] forbidden)
    {
        var reached = Repository.Closure(project);
        var broken = forbidden.Where(reached.Contains).ToList();
        Assert.Empty(broken);
    }

    [Fact]
    public void Only_the_node_composes_roles()
    {
        foreach (var (name, _) in Repository.Projects)
        {
            if (name == "Node" || Roles.Contains(name))
            {
                continue;
            }
            var roles = Roles.Where(Repository.Closure(name).Contains).Select(role => $"{name} -> {role}").ToList();
            Assert.Empty(roles);
        }
    }
}
