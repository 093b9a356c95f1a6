namespace Rtmfp.Flash;

/// <summary>
/// A <c>play(name, start, duration, reset)</c> on NetStream <paramref name="StreamId"/>. Start and
/// duration travel in milliseconds in practice: −2000 live or recorded, −1000 live only;
/// duration −1 plays until the stream ends.
/// </summary>
public sealed record PlayRequest(StreamKey Stream, uint StreamId, string? Query, double Start, double Duration, bool Reset);
