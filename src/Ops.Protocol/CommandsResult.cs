namespace Rtmfp.Ops.Protocol;

public sealed record CommandDescription(string Name, string Usage, string Description);

/// <summary>The palette a node serves (like pbm downloading palettes from the host).</summary>
public sealed record CommandsResult(int ProtocolVersion, IReadOnlyList<CommandDescription> Commands);
