using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Rtmfp.Architecture.Tests;

/// <summary>
/// No test can hold CI until its limit: every async test (a [Fact] or [Theory] returning Task or ValueTask) names a
/// Timeout, so one that waits forever on a socket, an actor or a client call fails with its name instead. Synchronous
/// tests are bounded by the runner's --blame-hang-timeout (scripts/test.sh), which fails the run after 5 minutes.
/// A test whose whole body is one task awaited with <c>.WaitAsync(budget)</c> counts as bounded too: the fuzz tests
/// scale their budget with RTMFP_FUZZ_SCALE for long runs by hand, which a constant in an attribute cannot.
/// </summary>
public sealed class TestTimeoutTests
{
    [Fact]
    public void Every_async_test_has_a_timeout()
    {
        var missing = AsyncTests()
            .Where(t => !HasTimeout(t.Attribute) && !IsOneBoundedWait(t.Method))
            .Select(t => $"{t.File}:{t.Line} {t.Name}")
            .ToList();
        // Every offender listed (Assert.Empty would cut the list at five).
        Assert.True(missing.Count == 0, $"{missing.Count} async tests without a Timeout:\n" + string.Join('\n', missing));
    }

    [Fact]
    public void The_check_sees_the_async_tests()
    {
        // Guards the test above against passing on a tree it cannot read (a moved folder, an attribute spelled
        // differently): the suite has well over a hundred async tests.
        Assert.True(AsyncTests().Count() > 100);
    }

    private static IEnumerable<(string File, int Line, string Name, AttributeSyntax Attribute, MethodDeclarationSyntax Method)> AsyncTests()
    {
        foreach (var file in Repository.TestSourceFiles())
        {
            var tree = CSharpSyntaxTree.ParseText(File.ReadAllText(file), path: file);
            foreach (var method in tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>())
            {
                var attribute = method.AttributeLists.SelectMany(l => l.Attributes).FirstOrDefault(IsTestAttribute);
                if (attribute is not null && IsAsync(method))
                {
                    int line = method.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
                    yield return (Repository.Relative(file), line, method.Identifier.Text, attribute, method);
                }
            }
        }
    }

    private static bool IsTestAttribute(AttributeSyntax attribute) => LastName(attribute.Name) is "Fact" or "FactAttribute" or "Theory" or "TheoryAttribute";

    private static bool IsAsync(MethodDeclarationSyntax method) =>
        method.Modifiers.Any(SyntaxKind.AsyncKeyword) || LastName(method.ReturnType) is "Task" or "ValueTask";

    private static bool HasTimeout(AttributeSyntax attribute) =>
        attribute.ArgumentList?.Arguments.Any(a => a.NameEquals?.Name.Identifier.Text == "Timeout"
            && a.Expression is not LiteralExpressionSyntax { Token.ValueText: "0" }) == true;

    // WaitAsync(timeout[, token]), not WaitAsync(token) alone, which waits as long as the token lets it.
    private static bool IsOneBoundedWait(MethodDeclarationSyntax method) =>
        method.ExpressionBody?.Expression is InvocationExpressionSyntax
        {
            Expression: MemberAccessExpressionSyntax { Name.Identifier.Text: "WaitAsync" },
            ArgumentList.Arguments: [var first, ..],
        } && !first.ToString().EndsWith("Token", StringComparison.Ordinal);

    private static string LastName(SyntaxNode type) => type switch
    {
        QualifiedNameSyntax q => q.Right.Identifier.Text,
        AliasQualifiedNameSyntax a => a.Name.Identifier.Text,
        SimpleNameSyntax s => s.Identifier.Text,
        _ => type.ToString(),
    };
}
