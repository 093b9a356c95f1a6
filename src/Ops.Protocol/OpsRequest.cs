namespace Rtmfp.Ops.Protocol;

/// <summary>
/// One request line: {"command":"sharding region-stats","args":{"region":"session"}}.
/// Arguments are strings by name; each command validates and converts its own.
/// </summary>
public sealed record OpsRequest(string? Command, IReadOnlyDictionary<string, string>? Args = null);
