using System.Xml.Linq;

namespace Rtmfp.Architecture.Tests;

/// <summary>The repository's projects as their files declare them.</summary>
internal static class Repository
{
    public static readonly string Root = FindRoot();

    public static string Src => Path.Combine(Root, "src");

    public static string Tests => Path.Combine(Root, "tests");

    /// <summary>Every project under src/ by its short name (the folder: Shared, Flash, Gateway ...).</summary>
    public static IReadOnlyDictionary<string, ProjectFile> Projects { get; } = LoadProjects();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Cluster.sln not found above " + AppContext.BaseDirectory);
    }

    private static Dictionary<string, ProjectFile> LoadProjects()
    {
        var projects = new Dictionary<string, ProjectFile>(StringComparer.Ordinal);
        foreach (var path in Directory.GetFiles(Src, "*.csproj", SearchOption.AllDirectories))
        {
            var doc = XDocument.Load(path);
            var dir = Path.GetDirectoryName(path)!;
            var projectRefs = doc.Descendants("ProjectReference")
                .Select(e => Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(Path.Combine(dir, e.Attribute("Include")!.Value)))!))
                .ToList();
            var packages = doc.Descendants("PackageReference").Select(e => e.Attribute("Include")!.Value).ToList();
            projects[Path.GetFileName(dir)] = new ProjectFile(Path.GetFileName(dir), path, projectRefs, packages);
        }
        return projects;
    }

    /// <summary>The projects <paramref name="name"/> reaches through project references, itself included.</summary>
    public static IReadOnlySet<string> Closure(string name)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>([name]);
        while (stack.Count > 0)
        {
            var next = stack.Pop();
            if (seen.Add(next) && Projects.TryGetValue(next, out var project))
            {
                foreach (var reference in project.ProjectReferences)
                {
                    stack.Push(reference);
                }
            }
        }
        return seen;
    }

    /// <summary>Packages that <paramref name="name"/> or any project it reaches references directly.</summary>
    public static IEnumerable<string> PackagesReached(string name) =>
        Closure(name).Where(Projects.ContainsKey).SelectMany(p => Projects[p].Packages.Select(package => $"{package} (by {p})"));

    /// <summary>Every C# source file under src/ (no build output).</summary>
    public static IEnumerable<string> SourceFiles(string? project = null) =>
        CSharpFiles(project is null ? Src : Path.Combine(Src, project));

    /// <summary>Every C# source file under tests/ (no build output).</summary>
    public static IEnumerable<string> TestSourceFiles() => CSharpFiles(Tests);

    private static IEnumerable<string> CSharpFiles(string dir) =>
        Directory.GetFiles(dir, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"));

    public static string Relative(string path) => Path.GetRelativePath(Root, path);
}

internal sealed record ProjectFile(string Name, string Path, IReadOnlyList<string> ProjectReferences, IReadOnlyList<string> Packages);
