using Rtmfp.Ops.Protocol;
using Rtmfp.OpsCli;

namespace Rtmfp.Ops.Tests;

/// <summary>rtmfp-ops talks to the node through the protocol records only; it never loads the actor system.</summary>
public class CliDependencyTests
{
    [Theory]
    [InlineData(typeof(OpsCliApp))]
    [InlineData(typeof(OpsRequest))]
    public void The_cli_and_the_protocol_reference_no_akka_and_not_the_node_side(Type type)
    {
        var references = type.Assembly.GetReferencedAssemblies().Select(a => a.Name ?? "").ToList();

        Assert.DoesNotContain(references, n => n.StartsWith("Akka", StringComparison.Ordinal));
        Assert.DoesNotContain("Rtmfp.Ops", references);
        Assert.DoesNotContain("Rtmfp.Shared", references);
    }
}
