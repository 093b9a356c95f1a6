namespace Rtmfp.ClientCli;

/// <summary>
/// <paramref name="Rate"/>: echo round trips started per second by each session; <paramref name="SilenceLog"/>: a file
/// for each session's longest silence (--silence-log).
/// </summary>
internal sealed record LoadSettings(ConnectSettings Connect, int Sessions, TimeSpan Duration, double Rate, int Size, int Loops,
    int ConcurrentHandshakes, bool? Live, string? SilenceLog = null);
