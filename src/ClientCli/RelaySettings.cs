namespace Rtmfp.ClientCli;

/// <summary><paramref name="BitrateKbps"/>: the publisher's total rate (audio 64 kbit/s, the rest video at 25 fps).</summary>
internal sealed record RelaySettings(ConnectSettings Connect, int Players, double BitrateKbps, TimeSpan Duration, int Loops,
    int ConcurrentHandshakes, double DelayThresholdMs, string? StreamName = null)
{
    /// <summary>Publish over RTMP to this endpoint instead of over RTMFP (issue 13's benchmark).</summary>
    public System.Net.IPEndPoint? RtmpIngest { get; init; }

    /// <summary>Further gateways the players are spread over, round robin with the URI's (<c>--via</c>).</summary>
    public System.Net.IPEndPoint[] PlayerGateways { get; init; } = [];

    /// <summary>The gateway the RTMFP publisher connects through instead of the URI's (<c>--publish-via</c>).</summary>
    public System.Net.IPEndPoint? PublisherGateway { get; init; }

    /// <summary>Players are members of this NetGroup (specifier text) the node seeds the stream into (issue 10's benchmark).</summary>
    public string? GroupSpecifier { get; init; }

    /// <summary>Seconds of publishing before the measured window (<c>--warmup</c>): not counted, the server's JIT settles.</summary>
    public TimeSpan Warmup { get; init; }

    /// <summary>The server process whose CPU is read over the measured window (<c>--server-pid</c>, 0: none).</summary>
    public int ServerPid { get; init; }
}
