using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Rtmfp.Architecture.Tests;

/// <summary>
/// Files a newcomer can read in one sitting, and methods on the packet path that fit on a screen: no source file
/// over 600 lines, no method (or constructor, accessor, local function) over 80 lines in the projects a packet or
/// a media frame passes through.
/// </summary>
public sealed class SizeLimitTests
{
    private const int MaxFileLines = 600;
    private const int MaxMethodLines = 80;

    /// <summary>Projects on the packet path: wire and crypto, engine, gateway, sessions, cluster messages, Flash.</summary>
    public static TheoryData<string> PacketPath => new() { "Shared", "Engine", "Gateway", "Sessions", "Cluster", "Flash", "Groups", "Rtmp" };

    [Fact]
    public void No_source_file_is_over_600_lines()
    {
        var tooLong = Repository.SourceFiles()
            .Select(f => (File: Repository.Relative(f), Lines: File.ReadAllLines(f).Length))
            .Where(f => f.Lines > MaxFileLines)
            .Select(f => $"{f.File}: {f.Lines} lines")
            .ToList();
        Assert.Empty(tooLong);
    }

    [Theory]
    [MemberData(nameof(PacketPath))]
    public void No_method_on_the_packet_path_is_over_80_lines(string project)
    {
        var tooLong = new List<string>();
        foreach (var file in Repository.SourceFiles(project))
        {
            var tree = CSharpSyntaxTree.ParseText(File.ReadAllText(file), path: file, cancellationToken: TestContext.Current.CancellationToken);
            foreach (var node in tree.GetRoot(TestContext.Current.CancellationToken).DescendantNodes())
            {
                if (node is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or LocalFunctionStatementSyntax)
                {
                    var span = node.GetLocation().GetLineSpan();
                    int lines = span.EndLinePosition.Line - span.StartLinePosition.Line + 1;
                    if (lines > MaxMethodLines)
                    {
                        tooLong.Add($"{Repository.Relative(file)}:{span.StartLinePosition.Line + 1} {Name(node)}: {lines} lines");
                    }
                }
            }
        }
        Assert.Empty(tooLong);
    }

    [Fact]
    public void The_checks_see_the_sources()
    {
        // Guards the two tests above against passing on an empty tree (a moved folder, a wrong root).
        Assert.True(Repository.SourceFiles().Count() > 200);
        Assert.True(Repository.SourceFiles("Engine").Count() > 10);
    }

    private static string Name(SyntaxNode node) => node switch
    {
        MethodDeclarationSyntax m => m.Identifier.Text,
        ConstructorDeclarationSyntax c => c.Identifier.Text + " (constructor)",
        LocalFunctionStatementSyntax l => l.Identifier.Text + " (local function)",
        AccessorDeclarationSyntax a => a.Keyword.Text + " accessor",
        _ => node.Kind().ToString(),
    };
}
