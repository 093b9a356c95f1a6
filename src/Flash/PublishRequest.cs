namespace Rtmfp.Flash;

/// <summary>A <c>publish(name, type)</c> on NetStream <paramref name="StreamId"/>.</summary>
/// <param name="Query">What followed '?' in the name (publisher parameters), or null.</param>
/// <param name="PublishType">"live", "record", "append", or null when the client sent none (librtmfp, tcpublish).</param>
public sealed record PublishRequest(StreamKey Stream, uint StreamId, string? Query, string? PublishType);
