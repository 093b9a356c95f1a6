[assembly: AssemblyFixture(typeof(Rtmfp.Ops.Tests.SharedNode))]
