namespace Rtmfp.ClientCli;

/// <summary><paramref name="BitrateKbps"/>: the publisher's total rate (audio 64 kbit/s, the rest video at 25 fps).</summary>
internal sealed record RelaySettings(ConnectSettings Connect, int Players, double BitrateKbps, TimeSpan Duration, int Loops,
    int ConcurrentHandshakes, double DelayThresholdMs, string? StreamName = null)
{
    /// <summary>Publish over RTMP to this endpoint instead of over RTMFP (issue 13's benchmark).</summary>
    public System.Net.IPEndPoint? RtmpIngest { get; init; }

    /// <summary>Players are members of this NetGroup (specifier text) the node seeds the stream into (issue 10's benchmark).</summary>
    public string? GroupSpecifier { get; init; }
}
