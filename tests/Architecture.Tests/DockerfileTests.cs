namespace Rtmfp.Architecture.Tests;

/// <summary>
/// deploy/Dockerfile restores from the project files alone before it copies the sources (so a source change does not
/// redo the restore): a project the node or rtmfp-ops reaches but the Dockerfile does not copy first is never restored,
/// and the image's `dotnet publish --no-restore` fails on it. The runtime settings the image carries are checked too.
/// </summary>
public sealed class DockerfileTests
{
    private static readonly string[] Lines = File.ReadAllLines(Path.Combine(Repository.Root, "deploy", "Dockerfile"));

    [Theory]
    [InlineData("Node")]
    [InlineData("OpsCli")]
    public void Every_project_an_image_executable_reaches_is_copied_before_the_restore(string executable)
    {
        int restore = Array.FindIndex(Lines, l => l.StartsWith("RUN dotnet restore", StringComparison.Ordinal));
        Assert.True(restore > 0, "deploy/Dockerfile has no 'RUN dotnet restore' line");
        var copied = Lines.Take(restore)
            .Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && l.Contains(".csproj", StringComparison.Ordinal))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1])
            .ToHashSet(StringComparer.Ordinal);
        var missing = Repository.Closure(executable)
            .Select(p => Repository.Relative(Repository.Projects[p].Path).Replace('\\', '/'))
            .Where(p => !copied.Contains(p))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void The_image_tiers_up_without_the_runtimes_call_counting_delay()
    {
        // docs/benchmarks.md, "Session setup": with the default delay (1 s on a one-CPU container) a busy node keeps
        // postponing tier-1 code and paid up to twice its steady CPU per session; the setting is read from the
        // environment only (a runtimeconfig property of that name is ignored, measured).
        Assert.Contains(Lines, l => l.Trim() == "ENV DOTNET_TC_CallCountingDelayMs=0");
    }

    [Fact]
    public void The_image_runs_with_the_measured_gen0_budget()
    {
        // docs/benchmarks.md, "Context switches per session, and a larger gen0 budget": -10 % CPU per session for about
        // 58 MB of resident memory; the bench scripts start the node with the same value.
        Assert.Contains(Lines, l => l.Trim() == "ENV DOTNET_GCgen0size=0x4000000");
    }
}
