namespace Rtmfp.OpsCli.Output;

/// <summary>A table independent of how it is drawn (Spectre on a terminal, aligned text otherwise).</summary>
internal sealed record TableView(string? Title, IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<string>> Rows);
