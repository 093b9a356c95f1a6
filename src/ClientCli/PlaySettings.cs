namespace Rtmfp.ClientCli;

/// <summary>
/// <paramref name="StreamName"/> null: the URI fragment. <paramref name="Duration"/> null: until the stream ends.
/// <paramref name="PeerId"/>: play directly from that publisher (64 hex digits) instead of through the server.
/// </summary>
internal sealed record PlaySettings(ConnectSettings Connect, string? StreamName, string? Output, TimeSpan? Duration, string? PeerId);
