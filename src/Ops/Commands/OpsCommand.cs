namespace Rtmfp.Ops.Commands;

/// <summary>
/// One command of the palette. Execute returns the single result, or null after streaming items
/// through the <see cref="OpsStream"/>. WatchesClient: the command runs until the client sends
/// anything or disconnects (log tail --follow), so the connection keeps reading while it runs.
/// </summary>
internal sealed record OpsCommand(
    string Name,
    string Usage,
    string Description,
    IReadOnlyList<string> Arguments,
    Func<OpsArguments, OpsStream, CancellationToken, Task<object?>> Execute,
    bool WatchesClient = false);
