using Rtmfp.Cluster;
namespace Rtmfp.Sessions.Tests;

public class ProjectSmokeTests
{
    [Fact]
    public void Sessions_assembly_references_the_wire_layer()
    {
        var refs = typeof(ProjectSmokeTests).Assembly.GetReferencedAssemblies();
        Assert.Contains(refs, r => r.Name == "Rtmfp.Sessions");
    }
}
