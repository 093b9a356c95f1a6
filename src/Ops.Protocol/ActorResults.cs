namespace Rtmfp.Ops.Protocol;

public sealed record ActorNode(string Name, string Path, IReadOnlyList<ActorNode> Children);

/// <summary>An Identify walk from Root down to Depth levels; Truncated when the node bound stopped it.</summary>
public sealed record ActorHierarchyResult(ActorNode Root, int Depth, int Count, bool Truncated);
