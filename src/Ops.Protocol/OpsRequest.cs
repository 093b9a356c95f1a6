namespace Rtmfp.Ops.Protocol;

/// <summary>
/// One request line: {"command":"sharding region-stats","args":{"region":"session"}}.
/// Arguments are strings by name; each command validates and converts its own. <see cref="Token"/> is required when the
/// node has one (always beyond loopback); <see cref="RequestedBy"/> names the operator in the node's log.
/// </summary>
public sealed record OpsRequest(string? Command, IReadOnlyDictionary<string, string>? Args = null)
{
    public string? Token { get; init; }

    public string? RequestedBy { get; init; }
}
