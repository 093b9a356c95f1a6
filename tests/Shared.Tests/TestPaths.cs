namespace Rtmfp.Shared.Tests;

/// <summary>Locates the repository root and its captured test vectors (tests/vectors).</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>Loopback captures of independent implementations and their decoded packets (tests/vectors/README.md).</summary>
    public static string Vector(string name) => Path.Combine(RepoRoot, "tests", "vectors", name);

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Cluster.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("Cluster.sln not found above " + AppContext.BaseDirectory);
    }
}
