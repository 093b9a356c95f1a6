namespace Rtmfp.Integration.Tests;

/// <summary>Tests that measure the whole process (memory, floods) run alone, not beside other nodes.</summary>
[CollectionDefinition("node", DisableParallelization = true)]
public sealed class NodeCollection;
